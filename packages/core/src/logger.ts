/**
 * The logging interface libraries depend on (STYLE.md example 12). Only services create a concrete
 * logger (pino, in `@busbar/runtime`); drivers and packages receive a {@link Logger} and default to
 * {@link noopLogger}. Bind context once with {@link Logger.child}.
 */

/** Structured fields of one log line. Never put secrets or raw payload bytes here (debug only). */
export type LogFields = Record<string, unknown>;

/** A structured logger (a structural subset of pino's). */
export interface Logger {
  /** Detail for debugging: raw frames belong here only. */
  debug(fields: LogFields, msg: string): void;
  /** Normal operation: connected, started, flushed. */
  info(fields: LogFields, msg: string): void;
  /** Something went wrong but was handled: reconnecting, a record sent to the dead-letter topic. */
  warn(fields: LogFields, msg: string): void;
  /** Something failed and an operator should look. */
  error(fields: LogFields, msg: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

/** A {@link Logger} that drops everything: the default for libraries and pure tests. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
};
