/**
 * MariaDB 10.11 from Debian (`apt-get install mariadb-server`, listed in
 * scripts/infra/apt/basytec.txt) on 127.0.0.1 with an ephemeral port and a temporary data
 * directory, following shared/reference/infra-recipes.md (`mariadb-install-db`, then `mariadbd`
 * with a small InnoDB log; SIGTERM exits cleanly).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { LOOPBACK, freePort } from './ports.js';
import { rememberTempDir, removeTempDir, runToCompletion, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';

/** Options of {@link startMariadb}. All optional. */
export interface MariadbOptions {
  /** `mariadbd`. @default `$BUSBAR_MARIADBD`, else /usr/sbin/mariadbd */
  readonly mariadbd?: string;
  /** Password set for `root`@`127.0.0.1`. @default random */
  readonly password?: string;
  /** Start timeout, ms. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** A running MariaDB; `dispose()` (also `await using`) stops it and deletes its data. */
export interface MariadbHandle extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  /** `root` (allowed from 127.0.0.1 with {@link password}). */
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  readonly logFile: string;
  running(): boolean;
  /** SIGTERM, keeps the data. Idempotent. */
  stop(): Promise<void>;
  /** Stops and deletes the data directory. Idempotent. */
  dispose(): Promise<void>;
}

function run(bin: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => execFile(bin, args, (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}${stderr}` })));
}

/**
 * Starts MariaDB: `mariadb-install-db` then `mariadbd` on 127.0.0.1; gives `root`@`127.0.0.1`
 * (created by the install when missing) a password (through the Unix socket) so TCP clients (npm `mariadb`, `mysql2`) log in.
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when MariaDB is not installed; `BB_TESTKIT_START_FAILED`/`BB_TESTKIT_START_TIMEOUT` with the log tail.
 */
export async function startMariadb(opts: MariadbOptions = {}): Promise<MariadbHandle> {
  const mariadbd = opts.mariadbd ?? (process.env['BUSBAR_MARIADBD'] || '/usr/sbin/mariadbd');
  const bin = (n: string): string => (existsSync(`/usr/bin/${n}`) ? `/usr/bin/${n}` : n);
  if (!existsSync(mariadbd)) {
    throw new TestkitError('BB_TESTKIT_MISSING_BINARY', `mariadbd not found at ${mariadbd}: install the Debian package mariadb-server (listed in scripts/infra/apt/basytec.txt; \`npm run setup\` installs it) or set BUSBAR_MARIADBD`, {
      context: { server: 'mariadb', path: mariadbd },
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'busbar-mariadb-'));
  rememberTempDir(dir);
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const logFile = join(dir, 'mariadb.log');
  const asRoot = process.getuid?.() === 0;
  const userArg = asRoot ? ['--user=root'] : [];
  await runToCompletion('mariadb-install-db', bin('mariadb-install-db'), ['--no-defaults', `--datadir=${data}`, ...userArg, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], {
    cwd: dir, logFile, timeoutMs: 120_000,
  });
  const port = await freePort();
  const args = [
    '--no-defaults', ...userArg, `--datadir=${data}`, `--port=${port}`, `--bind-address=${LOOPBACK}`, `--socket=${socket}`, `--pid-file=${join(dir, 'mariadb.pid')}`,
    '--skip-name-resolve', '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=8M', `--log-error=${join(dir, 'mariadb.err')}`,
  ];
  const proc: ServerProcess = spawnServer('mariadbd', mariadbd, args, { cwd: dir, logFile, removeOnOrphan: dir });
  await waitUntilReady(proc, async () => (await run(bin('mariadb-admin'), ['--no-defaults', `--socket=${socket}`, '-uroot', 'ping'])).ok, {
    timeoutMs: opts.startTimeoutMs ?? 60_000, intervalMs: 100, what: `answering on ${socket}`,
  });
  const password = opts.password ?? randomBytes(12).toString('hex');
  const sql = `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;`;
  const created = await run(bin('mariadb'), ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', sql]);
  if (!created.ok) {
    await proc.stop(10_000);
    removeTempDir(dir);
    throw new TestkitError('BB_TESTKIT_START_FAILED', `MariaDB: creating root@127.0.0.1 failed: ${created.out}`, { context: { server: 'mariadb', logFile } });
  }
  let disposed = false;
  const handle: MariadbHandle = {
    host: LOOPBACK,
    port,
    user: 'root',
    password,
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
