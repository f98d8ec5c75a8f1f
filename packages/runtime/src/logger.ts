/**
 * The concrete logger of a service: pino, JSON lines on stdout, bound to the service name.
 * Credentials are redacted by path (STYLE.md example 11).
 */
import { pino } from 'pino';
import type { Logger } from '@busbar/core';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Service name, bound as `service` on every line. */
  readonly service: string;
  /** pino level (default `info`, or `BUSBAR_LOG_LEVEL`). */
  readonly level?: string;
  /** Where lines go (default stdout). */
  readonly destination?: NodeJS.WritableStream;
}

/** Paths whose values are replaced by `[redacted]` in every log line. */
export const REDACT_PATHS = ['password', '*.password', 'token', '*.token', 'username', '*.username', 'auth.*', '*.auth.*', 'credentials'];

/**
 * Creates a pino logger satisfying the core {@link Logger} interface.
 *
 * @returns a JSON-lines logger with `service` bound and secrets redacted.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const opts = {
    level: options.level ?? process.env.BUSBAR_LOG_LEVEL ?? 'info',
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return (options.destination ? pino(opts, options.destination) : pino(opts)) as unknown as Logger;
}
