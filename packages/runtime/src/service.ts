/**
 * The life cycle of a service process: start the composition, serve `/metrics` and `/healthz`,
 * stop cleanly on SIGTERM/SIGINT (the composition flushes its producer and commits offsets in its
 * `stop`), exit non-zero when start-up fails.
 */
import type { Logger } from '@busbar/core';
import { errorCode } from '@busbar/core';
import type { Health, OpsServer } from './http.js';
import { startOpsServer } from './http.js';
import { createLogger } from './logger.js';
import { createServiceMetrics } from './metrics.js';
import type { ServiceMetrics } from './metrics.js';

/** What a running service composition offers the runtime. */
export interface RunningService {
  /** Health for `/healthz`. */
  health(): Health;
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

/**
 * Runs a service: logger, metrics, ops server, signal handling.
 *
 * @param installSignalHandlers - true in `main.ts` (SIGTERM/SIGINT → shutdown → exit 0);
 *   false in tests that run services in-process.
 * @throws whatever `start` throws (after logging it with its code).
 */
export async function runService(options: RunServiceOptions, installSignalHandlers = true): Promise<ServiceHandle> {
  const logger = createLogger({ service: options.name });
  const serviceMetrics = createServiceMetrics(options.name);
  let running: RunningService;
  try {
    running = await options.start({ logger, ...serviceMetrics });
  } catch (err) {
    logger.error({ err, code: errorCode(err) }, `${options.name} failed to start`);
    throw err;
  }
  const ops = await startOpsServer({ registry: serviceMetrics.registry, health: () => running.health(), host: options.opsHost, port: options.opsPort });
  logger.info({ ops: `http://${ops.host}:${ops.port}` }, `${options.name} started; /metrics and /healthz on the ops port`);
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info({}, `${options.name} stopping`);
      try {
        await running.stop();
      } finally {
        await ops.close();
        logger.info({}, `${options.name} stopped`);
      }
    })();
    return stopping;
  };
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
