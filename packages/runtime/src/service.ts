/**
 * The life cycle of a service process: serve `/metrics`, `/livez`, `/readyz` and `/healthz` (from
 * before the composition starts: `starting` until it runs), start the composition,
 * stop cleanly on SIGTERM/SIGINT (the composition flushes its producer and commits offsets in its
 * `stop`), exit non-zero when start-up fails, and log an uncaught exception or unhandled rejection
 * through the service logger (with its code) before shutting down and exiting 1.
 */
import type { Logger } from '@busbar/core';
import { errorCode } from '@busbar/core';
import type { Health, OpsServer, Readiness } from './http.js';
import { startOpsServer } from './http.js';
import { createLogger } from './logger.js';
import { createServiceMetrics } from './metrics.js';
import type { ServiceMetrics } from './metrics.js';

/** What a running service composition offers the runtime. */
export interface RunningService {
  /** Health for `/healthz`. */
  health(): Health;
  /**
   * Readiness for `/readyz`: one check per dependency the service needs (Kafka consumer and
   * producer, InfluxDB, SMTP, device sessions), each with its reason when it fails. Absent: ready
   * when `health().ok`.
   */
  ready?(): Readiness;
  /** Stops: flush producers, commit offsets, close devices. Called once, on SIGTERM/SIGINT. */
  stop(): Promise<void>;
}

/** Context handed to a service's start function. */
export interface ServiceContext extends ServiceMetrics {
  /** The service's logger (service name bound). */
  readonly logger: Logger;
}

/** Options of {@link runService}. */
export interface RunServiceOptions {
  /** Service name: `collector-modbus`, `historian`... */
  readonly name: string;
  /** Ops server port (`/metrics`, `/healthz`); 0 = ephemeral (logged). */
  readonly opsPort?: number;
  /** Ops server host (default 127.0.0.1). */
  readonly opsHost?: string;
  /** Builds and starts the composition. */
  readonly start: (ctx: ServiceContext) => Promise<RunningService>;
}

/** A service started by {@link runService}. */
export interface ServiceHandle {
  /** The ops server. */
  readonly ops: OpsServer;
  /** Stops the service and the ops server (what SIGTERM does, without exiting). */
  shutdown(): Promise<void>;
}

/** The part of `process` that {@link installProcessHandlers} uses (an EventEmitter and `exit` in tests). */
export interface ProcessLike {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  removeListener(event: 'uncaughtException' | 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

/** Options of {@link installProcessHandlers}. */
export interface ProcessHandlerOptions {
  /** The process (default the real `process`). */
  readonly process?: ProcessLike;
  /** Longest wait for `shutdown` before exiting anyway, ms (default 10 000). */
  readonly exitTimeoutMs?: number;
}

/**
 * Installs `uncaughtException` and `unhandledRejection` handlers that keep Node's crash semantics
 * but log first: the error goes to `logger.error` with its code (`errorCode`, `BB_CORE_UNEXPECTED`
 * for anything that is not a BusbarError) and the event name, then `shutdown` runs once (flushing
 * producers, closing devices) and the process exits 1 when it settles, or after `exitTimeoutMs` if
 * it hangs. A second fatal event while shutting down is logged and does not start another shutdown.
 *
 * @returns a function that removes both handlers.
 */
export function installProcessHandlers(logger: Logger, shutdown: () => Promise<void>, options: ProcessHandlerOptions = {}): () => void {
  const proc = options.process ?? process;
  const exitTimeoutMs = options.exitTimeoutMs ?? 10_000;
  let exiting = false;
  const fatal = (event: 'uncaughtException' | 'unhandledRejection') => (reason: unknown): void => {
    logger.error({ err: reason, code: errorCode(reason), event }, `${event}: shutting down and exiting 1`);
    if (exiting) return;
    exiting = true;
    let exited = false;
    const exit = (): void => {
      if (exited) return;
      exited = true;
      clearTimeout(timer);
      proc.exit(1);
    };
    const timer = setTimeout(() => {
      logger.error({ event, exitTimeoutMs }, 'shutdown did not finish in time; exiting 1');
      exit();
    }, exitTimeoutMs);
    timer.unref();
    let stopping: Promise<void>;
    try {
      stopping = shutdown();
    } catch (err) {
      stopping = Promise.reject(err);
    }
    stopping.then(exit, (err: unknown) => {
      logger.error({ err, code: errorCode(err) }, 'error while stopping');
      exit();
    });
  };
  const onException = fatal('uncaughtException');
  const onRejection = fatal('unhandledRejection');
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.removeListener('uncaughtException', onException);
    proc.removeListener('unhandledRejection', onRejection);
  };
}

/**
 * Runs a service: logger, metrics, ops server, signal and fatal-error handling.
 *
 * @param installSignalHandlers - true in `main.ts` (SIGTERM/SIGINT → shutdown → exit 0; an uncaught
 *   exception or unhandled rejection → logged with its code → shutdown → exit 1, see
 *   {@link installProcessHandlers}); false in tests that run services in-process.
 * @throws whatever `start` throws (after logging it with its code).
 */
export async function runService(options: RunServiceOptions, installSignalHandlers = true): Promise<ServiceHandle> {
  const logger = createLogger({ service: options.name });
  const serviceMetrics = createServiceMetrics(options.name);
  // Filled in once the service runs; before that a fatal event just exits.
  const late: { shutdown?: () => Promise<void> } = {};
  // Installed before start: a rejection nobody handles during start-up is logged too.
  if (installSignalHandlers) installProcessHandlers(logger, () => late.shutdown?.() ?? Promise.resolve());
  // The ops server answers from the start: /livez at once, /readyz and /healthz "starting" (503)
  // until the composition runs — a start that waits for Kafka is visible, not a refused connection.
  let running: RunningService | undefined;
  const ops = await startOpsServer({
    registry: serviceMetrics.registry,
    health: () => running?.health() ?? { ok: false, details: { status: 'starting' } },
    ready: () => (running === undefined ? { service: { ok: false, reason: 'starting' } } : running.ready ? running.ready() : { health: { ok: running.health().ok } }),
    host: options.opsHost,
    port: options.opsPort,
  });
  try {
    running = await options.start({ logger, ...serviceMetrics });
  } catch (err) {
    logger.error({ err, code: errorCode(err) }, `${options.name} failed to start`);
    await ops.close();
    throw err;
  }
  const service = running;
  logger.info({ ops: `http://${ops.host}:${ops.port}` }, `${options.name} started; /metrics, /livez, /readyz and /healthz on the ops port`);
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info({}, `${options.name} stopping`);
      try {
        await service.stop();
      } finally {
        await ops.close();
        logger.info({}, `${options.name} stopped`);
      }
    })();
    return stopping;
  };
  late.shutdown = shutdown;
  if (installSignalHandlers) {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'signal received');
      shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { ops, shutdown };
}
