import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS_LOG_MAX_BYTES, DEFAULT_OUTPUT_LOG_BYTES, PROTOCOL_VERSION, assertPrivateRuntimeDir, ipcAddress, type CcxPaths, type DaemonStatus } from '@ccx/shared';
import { configuredAttachAllow } from './config/attach-config.js';
import { ConfigStore } from './config/config-store.js';
import { loadSettings } from './config/settings.js';
import { Dispatcher } from './dispatcher.js';
import { EventBus } from './events/event-bus.js';
import { SeqLease } from './events/seq-lease.js';
import { EventsLog } from './events/events-log.js';
import { attachHandlers } from './handlers/attach-handlers.js';
import { daemonHandlers } from './handlers/daemon-handlers.js';
import { eventsHandlers } from './handlers/events-handlers.js';
import { hooksHandlers } from './handlers/hooks-handlers.js';
import { HomeWatch, identityOf, sameFile, type FileIdentity, type Timers } from './home-watch.js';
import { sessionHandlers } from './handlers/session-handlers.js';
import { turnHandlers } from './handlers/turn-handlers.js';
import { approvalHandlers } from './handlers/approval-handlers.js';
import { waitHandlers } from './handlers/wait-handlers.js';
import { watchHandlers } from './handlers/watch-handlers.js';
import { windowHandlers } from './handlers/window-handlers.js';
import type { Logger } from './logger.js';
import { cgroupModeFrom, SessionCgroups } from './process/session-cgroups.js';
import { PresetCatalog } from './presets/preset-catalog.js';
import type { HandlerTable } from './router.js';
import { sessionTargets } from './handlers/targets.js';
import { withAgentSessions } from './agent/agent-handlers.js';
import { ScreenHost } from './session/screen-host.js';
import { SessionManager } from './session/session-manager.js';
import type { Session } from './session/session.js';
import { probeSocket } from './socket-probe.js';
import { DAEMON_EXIT } from './daemon-exit.js';
import { readRegistry, removeRegistry, writeRegistry, type RegistryRecord } from './store/registry.js';
import { SessionStore } from './store/session-store.js';
import { connectionLimitsFrom } from './transport/connection-limits.js';
import { IpcServer } from './transport/ipc-server.js';
import { WebhookService } from './webhooks/webhook-service.js';
import { AsyncDisposableStore } from './disposable.js';

export interface DaemonOptions {
  paths: CcxPaths;
  version: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Quiet time after which a session is reported idle. */
  idleAfterMs?: number;
  /** The daemon's uid: names its sessions' cgroup directory. */
  uid?: number;
  outputLogBytes?: number;
  /** How often to look for a removed state directory or socket (home-watch.ts); default HOME_CHECK_MS. */
  homeCheckMs?: number;
  timers?: Timers;
}

export const DEFAULT_IDLE_AFTER_MS = 1_500;
/** Pause between attempts to write daemon.json when it could not be written (disk full). */
const REGISTRY_RETRY_MS = 2_000;

/** Open file descriptors of this process; null where /proc is absent. */
function openFdCount(): number | null {
  try {
    // The directory listing itself holds one fd while it is read.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}

/** What serve() built, once it listens: read by `daemon status`, SIGUSR1 and the home watch. */
interface Serving {
  bus: EventBus;
  sessions: SessionManager;
  webhooks: WebhookService;
  screens: ScreenHost;
  cgroups: SessionCgroups | undefined;
  dispatcher: Dispatcher;
  server: IpcServer;
  homeWatch: HomeWatch | undefined;
}

/**
 * The composition root: restores sessions (reaping what a dead daemon left),
 * serves the socket, and on stop ends every session. Each part is
 * registered in `parts` as it is built and ends, in reverse, at stop: the
 * home watch, then every session's processes, webhooks, sessions, screens,
 * cgroups, the server, and last the socket file and daemon.json.
 */
export class Daemon {
  private readonly parts: AsyncDisposableStore;
  private serving: Serving | undefined;
  private startedAt = new Date();
  private stopping: Promise<void> | undefined;
  /** Why stop was called: the `daemon-stopping` event says it. */
  private stopReason = '';
  /** The socket file this daemon made; only that one is removed at stop, never one another daemon put at the path. */
  private socketIdentity: FileIdentity | undefined;
  private relistening: Promise<void> | undefined;
  /** A re-creation failed and was logged; the next failures are not, until one succeeds (it is retried every poll). */
  private relistenFailing = false;
  private exitCode: number = DAEMON_EXIT.OK;
  private registryRetry: NodeJS.Timeout | undefined;
  private readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(private readonly opts: DaemonOptions) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.parts = new AsyncDisposableStore((error) => opts.logger.error('error while stopping', { error: String(error) }));
  }

  /**
   * Serves until stopped; resolves with the daemon's exit code. The caller
   * holds the start lock and has prepared the directories (see start-gate.ts).
   */
  async serve(): Promise<number> {
    const { paths, logger, version } = this.opts;
    const parts = this.parts;
    const address = ipcAddress(paths);
    if (process.platform !== 'win32') {
      const probe = await probeSocket(address);
      if (probe === 'live') {
        logger.warn('a daemon is already listening on the socket; exiting', { socket: address });
        return DAEMON_EXIT.ALREADY_RUNNING;
      }
      if (probe === 'stale') {
        logger.info('removing stale socket', { socket: address, previous: readRegistry(paths.registryFile) });
        rmSync(address, { force: true });
      }
    }
    const config = new ConfigStore(paths.configFile);
    const settings = loadSettings(config, this.opts.env, logger);
    // Ends last: the socket file and daemon.json, only if they are this daemon's.
    parts.add({ dispose: () => this.unadvertise() });
    // Made first and closed after every session ended, so attached clients and followers see the ends.
    const limits = connectionLimitsFrom(this.opts.env, (message) => logger.warn(message));
    const server = parts.add(
      new IpcServer(
        address,
        logger,
        (conn) => dispatcher.attach(conn),
        (conn, chunk) => dispatcher.receive(conn, chunk),
        { openStreams: (conn) => dispatcher.openStreamsOf(conn) },
        limits,
      ),
      (s) => s.close(),
    );
    const bus = new EventBus(new EventsLog(paths.eventsLog, EVENTS_LOG_MAX_BYTES), logger, undefined, new SeqLease(join(paths.stateDir, 'events.seq')));
    const store = new SessionStore(paths.sessionsDir);
    // Before restore: the reaper finds a dead daemon's sessions in their cgroups.
    const cgroups = SessionCgroups.open({ stateDir: paths.stateDir, uid: this.opts.uid ?? -1, mode: cgroupModeFrom(this.opts.env.CCX_CGROUP) });
    if (cgroups) parts.add(cgroups);
    logger.info('session processes', { tracking: cgroups?.kind ?? 'proc', cgroups: cgroups?.base });
    const screens = parts.add(new ScreenHost({ logger }));
    const sessions = parts.add(
      new SessionManager(
        {
          bus,
          logger,
          store,
          screens,
          outputLogBytes: this.opts.outputLogBytes ?? DEFAULT_OUTPUT_LOG_BYTES,
          idleAfterMs: this.opts.idleAfterMs ?? settings.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS,
          defaultWindowSize: settings.windowSize,
          inputText: settings.inputText,
          now: () => new Date(),
          processes: { cgroups },
        },
        store,
        logger,
      ),
    );
    const sessionById = (id: string): Session | undefined => {
      try {
        return sessions.resolve(id);
      } catch {
        return undefined;
      }
    };
    // Before restore, so subscribers hear about sessions a dead daemon lost.
    const webhooks = parts.add(
      new WebhookService({
        bus,
        logger,
        config,
        outboxDir: join(paths.stateDir, 'webhooks'),
        settings: settings.webhookDelivery,
        sessionName: (id) => sessionById(id)?.record.name ?? null,
        readOutput: (id, offset, maxBytes) => sessionById(id)?.output.read(offset, maxBytes),
        userAgent: `ccx/${version}`,
      }),
      // Output still batching goes to the outboxes; pending deliveries wait there for the next start.
      (w) => (w.flush(), w.dispose()),
    );
    webhooks.start();
    const restoreStarted = Date.now();
    const reaped = sessions.restore();
    if (reaped.lost.length) logger.warn('sessions lost by a previous daemon', { ...reaped, ms: Date.now() - restoreStarted });
    // The first thing stop does once the home watch is gone: every session's processes end while everything else still works.
    parts.add({
      dispose: async () => {
        bus.publish('daemon-stopping', { reason: this.stopReason });
        try {
          await sessions.stopAll();
        } catch (error) {
          logger.error('error while ending sessions', { error: String(error) });
        }
      },
    });

    const presets = new PresetCatalog(config);
    const table: HandlerTable = withAgentSessions({
      ...daemonHandlers({ status: () => this.status(serving), requestStop: () => void this.stop('request') }),
      ...eventsHandlers(bus, sessions, settings.eventsFollowerQueueMax),
      ...hooksHandlers(webhooks),
      ...sessionHandlers(sessions, this.opts.env, presets),
      ...waitHandlers(bus, presets),
      ...approvalHandlers(presets),
      ...turnHandlers(bus, presets),
      ...watchHandlers(bus),
      ...attachHandlers(bus, logger, () => configuredAttachAllow(config)),
      ...windowHandlers(),
    }, sessions, this.opts.env);
    const dispatcher = new Dispatcher(table, version, logger, sessionTargets(sessions));
    const serving: Serving = { bus, sessions, webhooks, screens, cgroups, dispatcher, server, homeWatch: undefined };
    try {
      await server.listen();
    } catch (error) {
      logger.error('cannot listen', { socket: address, error: String(error) });
      process.stderr.write(`ccx daemon: cannot listen on ${address}: ${String(error)}\n`);
      return DAEMON_EXIT.FATAL;
    }
    this.serving = serving;
    this.startedAt = new Date();
    this.advertise({ pid: process.pid, version, protocol: PROTOCOL_VERSION, socket: paths.socketPath, startedAt: this.startedAt.toISOString() });
    this.socketIdentity = identityOf(address);
    bus.publish('daemon-started', { pid: process.pid, version });
    logger.info('daemon started', { pid: process.pid, version, socket: address });
    if (process.platform !== 'win32') {
      serving.homeWatch = parts.add(
        new HomeWatch({
          stateDir: paths.stateDir,
          socketPath: address,
          socketIdentity: () => this.socketIdentity,
          onHomeGone: (reason) => this.homeGone(reason, sessions),
          onSocketMissing: () => void this.recreateSocket('the socket file was removed'),
          intervalMs: this.opts.homeCheckMs,
          timers: this.opts.timers,
        }),
      );
      serving.homeWatch.start();
    }
    await this.stopped;
    return this.exitCode;
  }

  /**
   * Listens again at the socket path (tmux's SIGUSR1): after the file was
   * removed, or on request. A file at the path that is not this daemon's
   * socket is replaced only if nobody listens on it.
   */
  recreateSocket(reason: string): Promise<void> {
    const serving = this.serving;
    if (this.stopping || !serving || process.platform === 'win32') return Promise.resolve();
    this.relistening ??= (async () => {
      const { paths, logger } = this.opts;
      const address = ipcAddress(paths);
      try {
        // Re-creating the runtime directory of a removed home would bring part of it back.
        if (serving.homeWatch && !serving.homeWatch.stateDirIntact()) {
          serving.homeWatch.check();
          return;
        }
        const found = identityOf(address);
        if (found && !sameFile(found, this.socketIdentity)) {
          if ((await probeSocket(address)) === 'live') {
            logger.warn('another listener took the socket path; leaving it', { socket: address, reason });
            return;
          }
        }
        rmSync(address, { force: true });
        // Only the runtime dir: a removed state dir ends the daemon (home-watch), it is never re-created here.
        mkdirSync(paths.runtimeDir, { recursive: true, mode: 0o700 });
        assertPrivateRuntimeDir(paths.runtimeDir, typeof process.getuid === 'function' ? process.getuid() : -1);
        await serving.server.relisten();
        this.socketIdentity = identityOf(address);
        this.relistenFailing = false;
        logger.info('socket re-created', { socket: address, reason });
      } catch (error) {
        if (!this.relistenFailing) logger.error('cannot re-create the socket', { socket: address, reason, error: String(error) });
        this.relistenFailing = true;
      }
    })().finally(() => (this.relistening = undefined));
    return this.relistening;
  }

  /**
   * The state directory is gone (or replaced): sessions, output logs and the
   * lock went with it, and no client can find this daemon any more. It ends
   * its sessions and exits rather than live on unreachable. Its log file
   * went too, so the reason also goes to stderr (the terminal or journal of
   * `ccx daemon run`; for a daemon the CLI started, the unlinked log file).
   */
  private homeGone(reason: string, sessions: SessionManager): void {
    const running = sessions.counts().running;
    const message = `${reason}: ending ${running} running session(s) and exiting`;
    this.opts.logger.error(message);
    process.stderr.write(`ccx daemon: ${message}\n`);
    this.exitCode = DAEMON_EXIT.FATAL;
    void this.stop('home-removed');
  }

  /**
   * Writes daemon.json. On a full disk that fails; the daemon serves anyway
   * (clients find it by its socket) and retries until it works, having
   * removed a dead daemon's file so nothing names a process that is gone.
   */
  private advertise(record: RegistryRecord): void {
    const { paths, logger } = this.opts;
    try {
      writeRegistry(paths.registryFile, record);
      if (this.registryRetry) logger.info('daemon.json written', { pid: record.pid });
      this.registryRetry = undefined;
    } catch (error) {
      if (!this.registryRetry) {
        logger.error('cannot write daemon.json; serving anyway and retrying', { error: String(error) });
        if (readRegistry(paths.registryFile)?.pid !== record.pid) rmSync(paths.registryFile, { force: true });
      }
      this.registryRetry = setTimeout(() => this.advertise(record), REGISTRY_RETRY_MS);
      this.registryRetry.unref();
    }
  }

  /** Graceful shutdown: every session's processes end, state is flushed, socket and registry go (the parts, in reverse). */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.stopReason = reason;
      this.opts.logger.info('daemon stopping', { reason });
      await this.parts.dispose();
      this.opts.logger.info('daemon stopped');
      this.resolveStopped();
    })();
    return this.stopping;
  }

  /** Removes the socket file and daemon.json, each only if it is still this daemon's. */
  private unadvertise(): void {
    const { paths } = this.opts;
    clearTimeout(this.registryRetry);
    if (process.platform !== 'win32' && sameFile(identityOf(ipcAddress(paths)), this.socketIdentity)) rmSync(ipcAddress(paths), { force: true });
    removeRegistry(paths.registryFile, process.pid);
  }

  status(serving: Serving): DaemonStatus {
    const { bus, sessions, server, dispatcher, screens, webhooks, cgroups } = serving;
    return {
      pid: process.pid,
      version: this.opts.version,
      protocol: PROTOCOL_VERSION,
      startedAt: this.startedAt.toISOString(),
      uptimeMs: Date.now() - this.startedAt.getTime(),
      socket: this.opts.paths.socketPath,
      stateDir: this.opts.paths.stateDir,
      sessions: sessions.counts(),
      clients: server.connectionCount,
      events: { lastSeq: bus.lastSeq, counts: bus.countsByType(), subscribers: bus.subscriberCount },
      rssBytes: process.memoryUsage().rss,
      resources: {
        fds: openFdCount(),
        connections: server.connectionCount,
        streams: dispatcher.openStreams,
        ...sessions.resourceCounts(),
        queuedWriteBytes: server.queuedWriteBytes,
        screenWorkerRestarts: screens.restarts,
        heapUsedBytes: process.memoryUsage().heapUsed,
      },
      webhooks: webhooks.status(),
      sessionProcesses: cgroups?.kind ?? 'proc',
    };
  }
}
