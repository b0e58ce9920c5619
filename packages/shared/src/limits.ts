/** Largest frame either side accepts; a bigger one closes the connection. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Output is streamed in chunks no bigger than this. */
export const MAX_OUTPUT_CHUNK_BYTES = 64 * 1024;

/**
 * Bytes of output per binary frame a follower sends (`logs`, `attach`). Raw
 * bytes need no base64 headroom under MAX_FRAME_BYTES, and a follower that is
 * behind then makes a quarter of the frames (log reads, socket writes,
 * client wake-ups) it made at MAX_OUTPUT_CHUNK_BYTES.
 */
export const OUTPUT_FRAME_BYTES = 256 * 1024;

/** How long a client waits for a connection to be accepted. */
export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * How long a client waits for the daemon's welcome once connected. The
 * daemon answers a hello at once, so this bound only matters for one that
 * is stuck; it is generous because a daemon starved of CPU (ten Claude Codes
 * starting on a loaded 2-core CI machine) once took over 2 s.
 */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * How long `ccx` waits for a daemon it started to answer. A daemon that fails
 * exits and is reported at once, so this bound only matters for one that
 * hangs; it is generous because a cold start took over 10 s on a loaded
 * 2-core CI machine (0.5 s when idle). CCX_START_TIMEOUT_MS overrides it.
 */
export const DAEMON_START_TIMEOUT_MS = 30_000;

/** Default time a plain request may take before the CLI gives up. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Unix socket paths are capped by sockaddr_un.sun_path (104 on macOS, 108 on Linux). */
export const MAX_SOCKET_PATH_BYTES = 103;

/** Longest session name; names also become parts of file names in logs. */
export const MAX_NAME_LENGTH = 64;

/** Default per-session output log size before rotation (one rotated file is kept). */
export const DEFAULT_OUTPUT_LOG_BYTES = 64 * 1024 * 1024;

/** Daemon's own log is rotated past this size. */
export const DAEMON_LOG_MAX_BYTES = 5 * 1024 * 1024;

/** Events log is rotated past this size; one rotated file is kept. */
export const EVENTS_LOG_MAX_BYTES = 16 * 1024 * 1024;

/** Text of one `send` streamed in input frames: at most this much (`send --stdin` of a large file). */
export const MAX_STREAMED_TEXT_BYTES = 1024 * 1024 * 1024;

/** Bytes of text per input frame of a streamed send (base64 in JSON stays well under MAX_FRAME_BYTES). */
export const SEND_CHUNK_BYTES = 256 * 1024;

/** Text up to this size travels inside the request itself; larger text is streamed. */
export const MAX_INLINE_TEXT_BYTES = 256 * 1024;

/**
 * Input a session holds for a program that is not reading (beyond what the
 * kernel's PTY buffer took). A send that does not fit is refused (E_BUSY);
 * a streamed send waits for room.
 */
export const MAX_INPUT_QUEUE_BYTES = 1024 * 1024;

/**
 * Text of sends waiting for their turn on one session (each still holding its
 * text in the daemon). A send that would take it past this is refused (E_BUSY):
 * many concurrent senders to a busy session must not grow the daemon without bound.
 */
export const MAX_WAITING_TEXT_BYTES = 8 * 1024 * 1024;
