/**
 * The concrete logger of a service: pino, JSON lines on stdout, bound to the service name.
 *
 * Every line is one JSON object with a string `level` (`"level":"info"`, pino `formatters.level`),
 * `time` (ISO 8601), `service`, the fields of the call and `msg`. Secrets never reach a line:
 * - credentials are redacted by path ({@link REDACT_PATHS}; STYLE.md example 11, pino `redact`);
 * - every URL in a field value or in the message is cut to `scheme://host[:port]/…`
 *   ({@link redactUrl}): webhook URLs carry their token in the path (Slack, PagerDuty), others in
 *   the query or as `user:password@`.
 * A key appears once per line (pino would write a key bound twice twice): a child's binding or a
 * call's field replaces the parent's binding of the same key.
 */
import { pino } from 'pino';
import type { LogFields, Logger } from '@busbar/core';

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
export const REDACT_PATHS = ['password', '*.password', 'token', '*.token', 'username', '*.username', 'auth.*', '*.auth.*', 'credentials', 'headers', '*.headers'];

/** `scheme://` followed by anything up to whitespace or a quote/bracket; `file:` and `node:` (stack frames) are not network URLs and stay. */
const URL_IN_TEXT = /\b(?!file:|node:)([a-z][a-z0-9+.-]*):\/\/([^\s"'<>()[\]{}]+)/gi;

/**
 * Cuts every URL in `text` to its scheme, host and port: `https://hooks.slack.com/services/T0/B0/xyz?token=1`
 * becomes `https://hooks.slack.com/…`; `user:password@` is dropped; a URL with nothing after the
 * host is left as it is (`http://127.0.0.1:8086`).
 *
 * @param text - a URL or any text holding URLs.
 * @returns the text with its URLs redacted (other text unchanged).
 */
export function redactUrl(text: string): string {
  return text.replace(URL_IN_TEXT, (_whole, scheme: string, rest: string) => {
    const cut = rest.search(/[/?#]/);
    let authority = cut === -1 ? rest : rest.slice(0, cut);
    const at = authority.lastIndexOf('@');
    const hadUser = at !== -1;
    if (hadUser) authority = authority.slice(at + 1);
    const tail = cut === -1 ? '' : rest.slice(cut);
    return `${scheme}://${authority}${tail.replace(/^\/$/, '') === '' && !hadUser ? tail : '/…'}`;
  });
}

const MAX_DEPTH = 4;

/**
 * Returns `value` with {@link redactUrl} applied to every string inside (objects and arrays to
 * depth 4). An error is serialized as pino does (`type`, `message` with its causes, `stack`, own
 * fields) and then redacted; the error under the `err` key is left to the `err` serializer, which
 * does the same.
 */
function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrl(value) : value;
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) return redactValue(pino.stdSerializers.err(value), depth);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1);
  return out;
}

/**
 * Wraps a pino logger so that a key appears once per line. The wrapper keeps the bindings itself
 * and makes every child from `root` with the merged bindings: a child binding a key its parent
 * binds replaces the parent's value (the inner, more specific one wins: a rig's `device: rig-1`
 * becomes `device: rig-1/pcs` in its PCS client's lines). A call field equal to a binding is
 * dropped; one that differs replaces it for that line.
 */
function wrap(root: pino.Logger, bound: LogFields): Logger {
  const p = Object.keys(bound).length === 0 ? root : root.child(bound);
  const level = (name: 'error' | 'warn' | 'info' | 'debug') => (fields: LogFields, msg?: string): void => {
    if (!p.isLevelEnabled(name)) return;
    let target = p;
    let rest = fields;
    for (const k of Object.keys(fields)) {
      if (!(k in bound)) continue;
      if (rest === fields) rest = { ...fields };
      if (bound[k] !== fields[k]) target = root.child({ ...bound, ...Object.fromEntries(Object.keys(fields).filter((x) => x in bound).map((x) => [x, fields[x]])) });
      delete rest[k];
    }
    if (msg === undefined) target[name](rest);
    else target[name](rest, msg);
  };
  return {
    error: level('error'),
    warn: level('warn'),
    info: level('info'),
    debug: level('debug'),
    child: (bindings: LogFields): Logger => wrap(root, { ...bound, ...bindings }),
  };
}

/**
 * Creates a pino logger satisfying the core {@link Logger} interface.
 *
 * @returns a JSON-lines logger with `service` bound, string levels, secrets and URLs redacted.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const opts: pino.LoggerOptions = {
    level: options.level ?? process.env.BUSBAR_LOG_LEVEL ?? 'info',
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: (e: unknown) => (e instanceof Error ? redactValue(pino.stdSerializers.err(e)) : e) },
    formatters: {
      level: (label) => ({ level: label }),
      log: (fields) => {
        const { err, ...rest } = fields;
        const out = redactValue(rest) as Record<string, unknown>;
        return err === undefined ? out : { ...out, err: err instanceof Error ? err : redactValue(err) };
      },
      bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return wrap(options.destination ? pino(opts, options.destination) : pino(opts), {});
}
