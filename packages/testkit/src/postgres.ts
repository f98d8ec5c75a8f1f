/**
 * PostgreSQL 15 from Debian (`apt-get install postgresql`, listed in scripts/infra/apt/basytec.txt)
 * on 127.0.0.1 with an ephemeral port and a temporary data directory, following
 * shared/reference/infra-recipes.md: `initdb` and `postgres` run as the `postgres` user when this
 * process is root (the server refuses root) through `spawn`'s uid/gid — never `runuser`, which
 * stays as a parent that ignores SIGINT; SIGINT is the fast shutdown.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { TestkitError } from './errors.js';
import { LOOPBACK, freePort } from './ports.js';
import { rememberTempDir, removeTempDir, runToCompletion, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';

/** Debian's PostgreSQL major version the kit starts unless `BUSBAR_PG_BIN_DIR` points elsewhere. */
export const DEFAULT_POSTGRES_MAJOR = 15;

/** Options of {@link startPostgres}. All optional. */
export interface PostgresOptions {
  /** Directory with `initdb`, `postgres`, `pg_isready`. @default `$BUSBAR_PG_BIN_DIR`, else /usr/lib/postgresql/15/bin */
  readonly binDir?: string;
  /** Superuser password. @default random */
  readonly password?: string;
  /** Start timeout, ms. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** A running PostgreSQL; `dispose()` (also `await using`) stops it and deletes its data. */
export interface PostgresHandle extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  /** Superuser `postgres`. */
  readonly user: string;
  readonly password: string;
  /** The default database, `postgres`. */
  readonly database: string;
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly dir: string;
  readonly logFile: string;
  running(): boolean;
  /** Fast shutdown (SIGINT), keeps the data. Idempotent. */
  stop(): Promise<void>;
  /** Stops and deletes the data directory. Idempotent. */
  dispose(): Promise<void>;
}

/** uid/gid of a local user from /etc/passwd, or undefined. */
export function localUser(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd file
  }
  return undefined;
}

/**
 * Starts PostgreSQL: `initdb` (scram-sha-256, UTF8, C.UTF-8, no fsync) then `postgres` with
 * `listen_addresses=127.0.0.1` and durability off; resolves when `pg_isready` passes.
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when PostgreSQL is not installed (`npm run setup` installs the apt lists);
 *   `BB_TESTKIT_START_FAILED` / `BB_TESTKIT_START_TIMEOUT` with the log tail.
 */
export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresHandle> {
  const binDir = opts.binDir ?? (process.env['BUSBAR_PG_BIN_DIR'] || `/usr/lib/postgresql/${DEFAULT_POSTGRES_MAJOR}/bin`);
  for (const b of ['initdb', 'postgres', 'pg_isready']) {
    if (!existsSync(join(binDir, b))) {
      throw new TestkitError('BB_TESTKIT_MISSING_BINARY', `PostgreSQL ${b} not found in ${binDir}: install the Debian package postgresql (listed in scripts/infra/apt/basytec.txt; \`npm run setup\` installs it) or set BUSBAR_PG_BIN_DIR`, {
        context: { server: 'postgres', path: binDir },
      });
    }
  }
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? localUser('postgres') : undefined;
  if (asRoot && ids === undefined) {
    throw new TestkitError('BB_TESTKIT_MISSING_BINARY', 'running as root but there is no `postgres` user (PostgreSQL refuses to run as root): install the Debian package postgresql', { context: { server: 'postgres' } });
  }
  const dir = mkdtempSync(join(tmpdir(), 'busbar-postgres-'));
  rememberTempDir(dir);
  chmodSync(dir, 0o755); // the postgres user must traverse it
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sock, { mode: 0o755 });
  const password = opts.password ?? randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const logFile = join(dir, 'postgres.log');
  writeFileSync(logFile, '');
  if (ids !== undefined) for (const p of [data, sock, pwfile, logFile]) chownSync(p, ids.uid, ids.gid);
  const env = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  await runToCompletion('initdb', join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '-N'], {
    cwd: dir, env, logFile, timeoutMs: 60_000, ...(ids ?? {}),
  });
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', sock, '-c', `listen_addresses=${LOOPBACK}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const proc: ServerProcess = spawnServer('postgres', join(binDir, 'postgres'), args, { cwd: dir, env, logFile, removeOnOrphan: dir, stopSignal: 'SIGINT', ...(ids ?? {}) });
  const isReady = (): Promise<boolean> =>
    new Promise((resolve) => execFile(join(binDir, 'pg_isready'), ['-h', LOOPBACK, '-p', String(port), '-q'], (err) => resolve(err === null)));
  await waitUntilReady(proc, isReady, { timeoutMs: opts.startTimeoutMs ?? 60_000, intervalMs: 100, what: `accepting connections on ${LOOPBACK}:${port}` });
  let disposed = false;
  const handle: PostgresHandle = {
    host: LOOPBACK,
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    url: `postgres://postgres:${password}@${LOOPBACK}:${port}/postgres`,
    dir,
    logFile,
    running: () => proc.running(),
    stop: () => proc.stop(15_000),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await proc.stop(15_000);
      removeTempDir(dir);
    },
    [Symbol.asyncDispose]: () => handle.dispose(),
  };
  return handle;
}
