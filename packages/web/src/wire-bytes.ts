import type { OutputFrame } from '@ccx/shared';

/**
 * How terminal bytes travel to and from the daemon: output arrives in
 * binary frames (the decoder hands `data` over as a Buffer), input goes as
 * base64 inside a JSON control message. The only place that knows, so a
 * change of the framing is an edit here.
 */

/** The bytes a daemon output frame (`out` or `screen`) carries. */
export function outputFrameBytes(frame: Extract<OutputFrame, { k: 'out' | 'screen' }>): Buffer {
  return frame.data;
}

/** The stream control message that types `bytes` into an attach stream. */
export function inputMessage(id: number, bytes: Buffer): { t: 'input'; id: number; data: string } {
  return { t: 'input', id, data: bytes.toString('base64') };
}
