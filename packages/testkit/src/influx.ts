/**
 * InfluxDB OSS 2.x (`influxd` built by `scripts/infra/build-influxd.sh`, no UI assets: the whole
 * HTTP API, `/health` and `/ping` are served) on 127.0.0.1 with an ephemeral port, its bolt,
 * sqlite and engine files in a temporary directory, onboarded through `POST /api/v2/setup`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseBackend } from './backend.js';
import type { Backend } from './backend.js';
import { startInfluxContainer } from './containers.js';
import { TestkitError } from './errors.js';
import { noteStart } from './starts.js';
import { influxdBinary } from './paths.js';
import { LOOPBACK, freePort } from './ports.js';
import { logTail, rememberTempDir, removeTempDir, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';

/** Options of {@link startInflux}. All optional. */
export interface InfluxOptions {
  /** InfluxDB version in the cache. @default `$BUSBAR_INFLUXD_VERSION`, else `DEFAULT_INFLUXD_VERSION` */
  readonly version?: string;
  /** Organisation created by the onboarding. @default "busbar" */
  readonly org?: string;
  /** Bucket created by the onboarding (infinite retention). @default "busbar-test" */
  readonly bucket?: string;
  /** Operator token created by the onboarding (all permissions). @default 32 random bytes, hex */
  readonly token?: string;
  /** Initial user. @default "busbar" */
  readonly username?: string;
  /** Initial user's password (>= 8 chars). @default random */
  readonly password?: string;
  /** `influxd --log-level`: debug | info | error. @default "error" */
  readonly logLevel?: 'debug' | 'info' | 'error';
  /** `native` (default), `testcontainers` or `auto`; see {@link chooseBackend}. @default `$BUSBAR_TESTKIT_BACKEND`, else native */
  readonly backend?: Backend | 'auto';
  /** How long to wait for `/health` to pass, ms (applies to every start). @default 60000 */
  readonly startTimeoutMs?: number;
  /** How long a graceful stop may take before SIGKILL, ms. @default 15000 */
  readonly stopGraceMs?: number;
}

/**
 * A running, onboarded InfluxDB. `stop()` keeps the data so `start()` brings the same server back
 * on the same URL, with the same org, bucket, token and points (a test can take the database away
 * for a while). `dispose()` (also `await using`) stops it and deletes its data.
 */
export interface InfluxHandle extends AsyncDisposable {
  /** Base URL, `http://127.0.0.1:<port>`, for `new InfluxDB({ url, token })`. */
  readonly url: string;
  /** Organisation name. */
  readonly org: string;
  /** Organisation id (16 hex chars). */
  readonly orgId: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Bucket id (16 hex chars). */
  readonly bucketId: string;
  /** Operator token (send as `Authorization: Token <token>`). */
  readonly token: string;
  /** Temporary directory holding the bolt/sqlite files, `engine/` and the log. */
  readonly dir: string;
  /** influxd's stdout/stderr. */
  readonly logFile: string;
  /** Whether influxd is running. */
  running(): boolean;
  /** Stops influxd (SIGTERM; SIGKILL after `stopGraceMs`). Keeps the data. Idempotent. */
  stop(): Promise<void>;
  /**
   * Starts the stopped influxd again on the same port with the same data; resolves when `/health` passes.
   * @throws {TestkitError} `BB_TESTKIT_START_FAILED` (e.g. the port was taken meanwhile) or `BB_TESTKIT_START_TIMEOUT`.
   */
  start(): Promise<void>;
  /** Stops influxd and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts `influxd` with `--reporting-disabled` and all state in a fresh temporary directory, waits
 * until `GET /health` passes, then onboards (user, org, bucket, operator token).
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when influxd is not built (run scripts/infra/build-influxd.sh);
 *   `BB_TESTKIT_START_FAILED` when influxd exits or the onboarding is refused; `BB_TESTKIT_START_TIMEOUT` after
 *   `startTimeoutMs`. Both carry the tail of the server log.
 */
export async function startInflux(opts: InfluxOptions = {}): Promise<InfluxHandle> {
  noteStart('influx');
  const org = opts.org ?? 'busbar';
  const bucket = opts.bucket ?? 'busbar-test';
  const token = opts.token ?? randomBytes(32).toString('hex');
  const password = opts.password ?? randomBytes(12).toString('hex');
  if ((await chooseBackend(opts.backend)) === 'testcontainers') return startInfluxContainer({ org, bucket, token, password });
  const bin = influxdBinary(opts.version);
  const dir = mkdtempSync(join(tmpdir(), 'busbar-influx-'));
  rememberTempDir(dir);
  mkdirSync(join(dir, 'engine'));
  const port = await freePort();
  const url = `http://${LOOPBACK}:${port}`;
  const logFile = join(dir, 'influxd.log');
  const args = [
    '--bolt-path', join(dir, 'influxd.bolt'),
    '--sqlite-path', join(dir, 'influxd.sqlite'),
    '--engine-path', join(dir, 'engine'),
    '--http-bind-address', `${LOOPBACK}:${port}`,
    '--reporting-disabled',
    '--log-level', opts.logLevel ?? 'error',
  ];
  // INFLUXD_CONFIG_PATH: never pick up a config.{toml,yaml,json} from the working directory or ~/.influxdbv2.
  const env = { ...process.env, INFLUXD_CONFIG_PATH: dir };
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const stopGraceMs = opts.stopGraceMs ?? 15_000;
  let proc: ServerProcess | undefined;
  let disposed = false;

  const launch = async (): Promise<void> => {
    proc = spawnServer('influxd', bin, args, { cwd: dir, env, logFile, removeOnOrphan: dir });
    await waitUntilReady(proc, () => healthPasses(url), { timeoutMs: startTimeoutMs, intervalMs: 200, what: `healthy at ${url}` });
  };
  const stop = async (): Promise<void> => {
    if (proc !== undefined) await proc.stop(stopGraceMs);
  };

  await launch();
  let setup: { orgId: string; bucketId: string };
  try {
    setup = await onboard(url, {
      username: opts.username ?? 'busbar',
      password,
      org,
      bucket,
      token,
      retentionPeriodSeconds: 0,
    });
  } catch (err) {
    await stop();
    removeTempDir(dir);
    throw new TestkitError('BB_TESTKIT_START_FAILED', `influxd onboarding (POST ${url}/api/v2/setup) failed: ${(err as Error).message}. Log:\n${logTail(logFile)}`, {
      cause: err,
      context: { server: 'influxd', logFile },
    });
  }

  const handle: InfluxHandle = {
    url,
    org,
    orgId: setup.orgId,
    bucket,
    bucketId: setup.bucketId,
    token,
    dir,
    logFile,
    running: () => proc?.running() ?? false,
    stop,
    async start() {
      if (disposed) throw new Error('startInflux: handle already disposed');
      if (proc?.running()) return;
      await launch();
    },
    async dispose() {
      disposed = true;
      await stop();
      removeTempDir(dir);
    },
    [Symbol.asyncDispose]: () => handle.dispose(),
  };
  return handle;
}

async function healthPasses(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) return false;
  const body = (await res.json()) as { status?: string };
  return body.status === 'pass';
}

interface SetupRequest {
  username: string;
  password: string;
  org: string;
  bucket: string;
  token: string;
  retentionPeriodSeconds: number;
}

async function onboard(url: string, req: SetupRequest): Promise<{ orgId: string; bucketId: string }> {
  const res = await fetch(`${url}/api/v2/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text) as { org?: { id?: string }; bucket?: { id?: string } };
  if (!body.org?.id || !body.bucket?.id) throw new Error(`unexpected response ${text}`);
  return { orgId: body.org.id, bucketId: body.bucket.id };
}
