/**
 * A real schema registry serving the Confluent Schema Registry REST API: Apicurio Registry (built
 * from Maven Central by `scripts/infra/fetch-apicurio.sh`; Confluent-compatible API under
 * `/apis/ccompat/v7`), on 127.0.0.1 with an ephemeral port, its storage an H2 database in a
 * temporary directory so that a restart keeps the registered schemas (like a real deployment).
 *
 * Facts (Apicurio 2.4.2.Final, checked here): ready when `GET /health/ready` answers 200 (about 6 s
 * on 2 cores); schema ids hash the exact schema text; default compatibility is NONE until
 * `PUT /config`; an incompatible registration is HTTP 409 (`error_code` 0).
 *
 * H2 storage serialises badly: concurrent first registrations of several subjects may fail with
 * HTTP 500 (H2 lock timeout or a unique-key violation on its id sequence); a retry succeeds. (A
 * longer `LOCK_TIMEOUT` made them hang past client timeouts instead.) Production Apicurio runs on
 * PostgreSQL or KafkaSQL storage.
 *
 * NOT set: `ENABLE_CCOMPAT_CANONICAL_HASH_MODE=true`. With it, `GET /schemas/ids/{id}` answers
 * Apicurio's canonicalised text, whose record fields are sorted by NAME: a Confluent consumer that
 * takes it as the writer schema reads the fields in the wrong order (checked: Busbar's Reading then
 * fails with "invalid union index"). Avro field order is part of the binary encoding.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apicurioHome } from './paths.js';
import { LOOPBACK, freePort } from './ports.js';
import { rememberTempDir, removeTempDir, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';

/** Options of {@link startSchemaRegistry}. All optional. */
export interface SchemaRegistryOptions {
  /** Apicurio version in the cache. @default `$BUSBAR_APICURIO_VERSION`, else `DEFAULT_APICURIO_VERSION` */
  readonly version?: string;
  /** JVM max heap, MiB. @default 256 */
  readonly heapMb?: number;
  /** Extra environment of the registry (Apicurio settings such as `REGISTRY_AUTH_...`), applied last. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for `/health/ready`, ms. @default 90000 */
  readonly startTimeoutMs?: number;
  /** How long a graceful stop may take before SIGKILL, ms. @default 10000 */
  readonly stopGraceMs?: number;
  /** Java executable. @default `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` (>= 17) */
  readonly java?: string;
}

/**
 * A running registry. `stop()` keeps the storage so `start()` brings the same registry back on the
 * same port; `dispose()` (also `await using`) stops it and deletes its directory.
 */
export interface SchemaRegistryHandle extends AsyncDisposable {
  /** Base URL of the Confluent-compatible API, `http://127.0.0.1:<port>/apis/ccompat/v7`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` (health: `/health/ready`). */
  readonly origin: string;
  /** The TCP port. */
  readonly port: number;
  /** Temporary directory holding the H2 database and the log. */
  readonly dir: string;
  /** The registry's stdout/stderr. */
  readonly logFile: string;
  /** Whether the registry process is running. */
  running(): boolean;
  /** Stops the registry (SIGTERM; SIGKILL after `stopGraceMs`). Keeps the storage. Idempotent. */
  stop(): Promise<void>;
  /**
   * Starts the stopped registry again on the same port with the same storage; resolves when ready.
   * @throws {TestkitError} `BB_TESTKIT_START_TIMEOUT` / `BB_TESTKIT_START_FAILED` as {@link startSchemaRegistry}.
   */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops the registry and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts Apicurio Registry: `java -jar quarkus-run.jar` with `HTTP_PORT`, `QUARKUS_HTTP_HOST=127.0.0.1`,
 * file-backed H2 storage and canonical-hash ids; resolves when `/health/ready` answers 200.
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` (run scripts/infra/fetch-apicurio.sh),
 *   `BB_TESTKIT_START_FAILED` (the JVM exited), `BB_TESTKIT_START_TIMEOUT`; both carry the log tail.
 */
export async function startSchemaRegistry(opts: SchemaRegistryOptions = {}): Promise<SchemaRegistryHandle> {
  const home = apicurioHome(opts.version);
  const java = opts.java ?? (process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java');
  const dir = mkdtempSync(join(tmpdir(), 'busbar-registry-'));
  rememberTempDir(dir);
  const port = await freePort();
  const origin = `http://${LOOPBACK}:${port}`;
  const logFile = join(dir, 'registry.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PORT: String(port),
    QUARKUS_HTTP_HOST: LOOPBACK,
    REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${join(dir, 'db', 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
    QUARKUS_LOG_CONSOLE_COLOR: 'false',
    ...opts.env,
  };
  const args = [`-Xmx${opts.heapMb ?? 256}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', join(home, 'quarkus-app', 'quarkus-run.jar')];
  const startTimeoutMs = opts.startTimeoutMs ?? 90_000;
  const stopGraceMs = opts.stopGraceMs ?? 10_000;
  let proc: ServerProcess | undefined;
  let disposed = false;

  const launch = async (): Promise<void> => {
    proc = spawnServer('schema-registry', java, args, { cwd: dir, env, logFile, removeOnOrphan: dir });
    await waitUntilReady(proc, () => ready(origin), { timeoutMs: startTimeoutMs, intervalMs: 250, what: `ready on ${origin}` });
  };
  const stop = async (): Promise<void> => {
    if (proc !== undefined) await proc.stop(stopGraceMs);
  };
  await launch();
  const handle: SchemaRegistryHandle = {
    url: `${origin}/apis/ccompat/v7`,
    origin,
    port,
    dir,
    logFile,
    running: () => proc?.running() ?? false,
    stop,
    async start() {
      if (disposed) throw new Error('startSchemaRegistry: handle already disposed');
      if (proc?.running()) return;
      await launch();
    },
    async restart() {
      await stop();
      await handle.start();
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

async function ready(origin: string): Promise<boolean> {
  const res = await fetch(`${origin}/health/ready`, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status === 200;
}
