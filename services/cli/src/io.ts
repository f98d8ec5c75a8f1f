/**
 * What the CLI reads and writes, injectable for tests: output lines, the environment, and the
 * exit code conventions (documented in `busbar --help` and services/cli/README.md).
 */

/** Where the CLI writes and what it reads. */
export interface CliIo {
  /** One line of standard output (results, JSON lines). */
  out(line: string): void;
  /** One line of standard error (progress, warnings, errors). */
  err(line: string): void;
  /** The environment (`BUSBAR_*` overrides, `BUSBAR_COMMAND_KEY`...). */
  readonly env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
};

/** Exit codes: 0 done (EXECUTED, ACCEPTED); 1 the command was REJECTED, FAILED or EXPIRED, or Kafka failed; 2 usage or configuration error; 3 no result within --timeout. */
export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3 } as const;

/** A value as JSON text: dates as ISO 8601, bytes as lower-case hex, one line. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(plain(value));
}

function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** `p`, or `undefined` once `ms` passed; the timer is cleared either way (it never holds the process open). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
