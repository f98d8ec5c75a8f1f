/**
 * Prometheus Alertmanager 0.25 from Debian (`apt-get install prometheus-alertmanager`, listed in
 * scripts/infra/apt/alertmanager.txt) on 127.0.0.1 with an ephemeral port, clustering disabled and
 * a temporary storage directory, following shared/reference/infra-recipes.md ("Alertmanager 0.25":
 * `--cluster.listen-address=` with an empty value turns gossip off; ready at `/-/ready`).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { LOOPBACK, freePort } from './ports.js';
import { rememberTempDir, removeTempDir, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';

/** Options of {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /**
   * The configuration file's text (YAML: `global`, `route`, `receivers`, `inhibit_rules` …), written
   * as `alertmanager.yml` in the server's directory. A configuration Alertmanager refuses makes the
   * start fail with its log.
   */
  readonly config: string;
  /** The binary. @default `$BUSBAR_ALERTMANAGER`, else /usr/bin/prometheus-alertmanager */
  readonly binary?: string;
  /** Start timeout, ms. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running Alertmanager; `dispose()` (also `await using`) stops it and deletes its directory. */
export interface AlertmanagerHandle extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The HTTP port (API v2 under `/api/v2/`). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Its directory: `alertmanager.yml`, `data/` (silences, notification log), `alertmanager.log`. */
  readonly dir: string;
  readonly logFile: string;
  running(): boolean;
  /** SIGTERM (SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Stops and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts Alertmanager on 127.0.0.1 with `opts.config`, no cluster, its own storage directory.
 *
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when it is not installed;
 *   `BB_TESTKIT_START_FAILED` (a configuration it refuses, with the log tail) or
 *   `BB_TESTKIT_START_TIMEOUT` when `/-/ready` does not answer 200 in time.
 */
export async function startAlertmanager(opts: AlertmanagerOptions): Promise<AlertmanagerHandle> {
  const binary = opts.binary ?? (process.env['BUSBAR_ALERTMANAGER'] || '/usr/bin/prometheus-alertmanager');
  if (!existsSync(binary)) {
    throw new TestkitError('BB_TESTKIT_MISSING_BINARY', `Alertmanager not found at ${binary}: install the Debian package prometheus-alertmanager (listed in scripts/infra/apt/alertmanager.txt; \`npm run setup\` installs it) or set BUSBAR_ALERTMANAGER`, {
      context: { server: 'alertmanager', path: binary },
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'busbar-alertmanager-'));
  rememberTempDir(dir);
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, opts.config);
  const logFile = join(dir, 'alertmanager.log');
  const port = await freePort();
  const url = `http://${LOOPBACK}:${port}`;
  const args = [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=${LOOPBACK}:${port}`, '--cluster.listen-address=', '--log.level=debug'];
  const proc: ServerProcess = spawnServer('alertmanager', binary, args, { cwd: dir, logFile, removeOnOrphan: dir });
  await waitUntilReady(proc, async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, {
    timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 50, what: `ready at ${url}/-/ready`,
  });
  let disposed = false;
  const handle: AlertmanagerHandle = {
    host: LOOPBACK,
    port,
    url,
    dir,
    logFile,
    running: () => proc.running(),
    stop: () => proc.stop(10_000),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await proc.stop(10_000);
      removeTempDir(dir);
    },
    [Symbol.asyncDispose]: () => handle.dispose(),
  };
  return handle;
}
