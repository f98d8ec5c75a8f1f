/**
 * The entry point every service shares: `busbar-<name> --config FILE [--test]`.
 *
 * - the configuration file comes from `--config`/`-c` or `BUSBAR_CONFIG` (environment overrides apply);
 * - `--test` (collectors) runs one poll without Kafka and exits 0, or 1 when a device failed;
 * - otherwise the service runs until SIGTERM/SIGINT (see {@link runService});
 * - a configuration or start-up error is printed as `busbar-<name>: <message>` and exits 2.
 */
import { parseArgs } from 'node:util';
import type { Logger, Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { createLogger } from './logger.js';
import { runService } from './service.js';
import type { RunningService, ServiceContext } from './service.js';

/** What a service's `main.ts` provides. */
export interface ServiceMainOptions<C> {
  /** Service name (`collector-modbus`, `historian`...); the binary is `busbar-<name>`. */
  readonly name: string;
  /** Loads and validates the configuration (file path or undefined). @throws naming the bad field. */
  readonly load: (file: string | undefined) => C;
  /** The ops endpoint (`/metrics`, `/healthz`) of a configuration. */
  readonly ops: (config: C) => { readonly host: string; readonly port: number };
  /** Builds and starts the composition. */
  readonly start: (config: C, ctx: ServiceContext) => Promise<RunningService>;
  /** `--test` mode (collectors): one poll, printed; resolves the number of devices that failed. */
  readonly test?: (config: C, deps: { logger: Logger; metrics: Metrics }) => Promise<number>;
}

/**
 * Runs a service's command line. Never returns normally in `--test` mode or on error (exits).
 *
 * @param argv - arguments after the script (default `process.argv.slice(2)`).
 */
export async function serviceMain<C>(options: ServiceMainOptions<C>, argv: string[] = process.argv.slice(2)): Promise<void> {
  const binary = `busbar-${options.name}`;
  try {
    const { values: args } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, test: { type: 'boolean', default: false } } });
    const config = options.load(args.config ?? process.env.BUSBAR_CONFIG);
    if (args.test) {
      if (!options.test) throw new Error(`${binary} has no --test mode`);
      const failed = await options.test(config, { logger: createLogger({ service: options.name, level: process.env.BUSBAR_LOG_LEVEL ?? 'warn' }), metrics: noopMetrics });
      process.exit(failed > 0 ? 1 : 0);
    }
    const ops = options.ops(config);
    await runService({ name: options.name, opsHost: ops.host, opsPort: ops.port, start: (ctx) => options.start(config, ctx) });
  } catch (err) {
    process.stderr.write(`${binary}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
