/**
 * A single-node Apache Kafka (KRaft, combined broker + controller) from the Maven Central jars
 * fetched by `scripts/infra/fetch-kafka.sh`, on 127.0.0.1 with ephemeral ports and a temporary
 * log dir. Verified with kafkajs 2.2.4 (produce, consumer group, offset commit) against Kafka 4.3.1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chooseBackend } from './backend.js';
import type { Backend } from './backend.js';
import { startKafkaContainer } from './containers.js';
import { TestkitError } from './errors.js';
import { kafkaHome } from './paths.js';
import { LOOPBACK, freePort } from './ports.js';
import { rememberTempDir, removeTempDir, runToCompletion, spawnServer, waitUntilReady } from './process.js';
import type { ServerProcess } from './process.js';
import { noteStart } from './starts.js';
import { createTestPki, pemKeystore } from './pki.js';
import type { TestPki } from './pki.js';

/** A SASL user of a {@link SaslSslOptions} broker. */
export interface KafkaSaslUser {
  /** User name: the principal is `User:<username>`. */
  readonly username: string;
  /** Password (test data). */
  readonly password: string;
  /**
   * Mechanisms the user can sign in with. SCRAM credentials are stored in the cluster metadata at
   * format time (`kafka-storage format --add-scram`); PLAIN users are listed in the listener's JAAS
   * configuration. @default all three: SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN
   */
  readonly mechanisms?: readonly ('PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512')[];
}

/** A second listener, SASL_SSL, with Kafka's StandardAuthorizer: see {@link KafkaOptions.saslSsl}. */
export interface SaslSslOptions {
  /** The users. */
  readonly users: readonly KafkaSaslUser[];
  /** User names that bypass ACLs (`super.users`; `User:ANONYMOUS`, the plaintext and controller listeners, is always one). */
  readonly superUsers?: readonly string[];
  /** Certificates: default a fresh {@link createTestPki} (openssl). */
  readonly pki?: TestPki;
  /**
   * Client certificates (`ssl.client.auth`): `required` refuses a client without a certificate
   * signed by the test CA (issue one with `pki.issueClient`), `none` does not ask. SASL still names
   * the principal. @default 'none'
   */
  readonly clientAuth?: 'required' | 'requested' | 'none';
}

/** The SASL_SSL side of a broker started with {@link KafkaOptions.saslSsl}. */
export interface SaslSslListener {
  /** Bootstrap servers of the SASL_SSL listener, `["127.0.0.1:<port>"]`. */
  readonly brokers: string[];
  /** The CA that signed the broker certificate (PEM file): `kafka.ssl.caFile`. */
  readonly caFile: string;
  /** The test CA (to issue client certificates). */
  readonly pki: TestPki;
}

/** Options of {@link startKafka}. All optional. */
export interface KafkaOptions {
  /** Kafka version in the cache. @default `$BUSBAR_KAFKA_VERSION`, else `DEFAULT_KAFKA_VERSION` */
  readonly version?: string;
  /** JVM max heap, MiB. @default 512 */
  readonly heapMb?: number;
  /** Partitions of auto-created topics (`num.partitions`). @default 3 */
  readonly numPartitions?: number;
  /** Extra `server.properties` entries, applied last (they win). */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** How long to wait for the broker to answer a kafkajs admin, ms. @default 90000 */
  readonly startTimeoutMs?: number;
  /** How long a graceful stop may take before SIGKILL, ms. @default 30000 */
  readonly stopGraceMs?: number;
  /** `native` (default), `testcontainers` or `auto`; see {@link chooseBackend}. @default `$BUSBAR_TESTKIT_BACKEND`, else native */
  readonly backend?: Backend | 'auto';
  /** Java executable. @default `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` (must be >= 17) */
  readonly java?: string;
  /**
   * Adds a SASL_SSL listener (TLS with a test CA; SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512) and
   * turns on Kafka's `StandardAuthorizer` with `allow.everyone.if.no.acl.found=false`: on that
   * listener a principal can do only what ACLs grant it (super users excepted). The PLAINTEXT
   * listener (`brokers`) stays for the test's own set-up: there the principal is `User:ANONYMOUS`,
   * a super user — never give it to the code under test. Native backend only.
   */
  readonly saslSsl?: SaslSslOptions;
}

/**
 * A running Kafka. `stop()` keeps the data so `start()` can bring the same broker back on the
 * same port; `dispose()` (also `await using`) stops it and deletes its data. Data dirs of handles
 * never disposed are deleted when the process exits.
 */
export interface KafkaHandle extends AsyncDisposable {
  /** Bootstrap servers, `["127.0.0.1:<port>"]`, for kafkajs `brokers` (PLAINTEXT). */
  readonly brokers: string[];
  /** The SASL_SSL listener when started with `saslSsl`. */
  readonly saslSsl?: SaslSslListener;
  /** Temporary directory holding server.properties, the log dirs (`data/`) and the logs. */
  readonly dir: string;
  /** The broker's stdout/stderr (log4j2 at INFO). Read it when something fails. */
  readonly logFile: string;
  /** Whether the broker process is running. */
  running(): boolean;
  /** Stops the broker (SIGTERM, controlled shutdown; SIGKILL after `stopGraceMs`). Keeps the data. Idempotent. */
  stop(): Promise<void>;
  /**
   * Starts the stopped broker again on the same port with the same data; resolves when it is ready.
   * @throws {TestkitError} `BB_TESTKIT_START_TIMEOUT` / `BB_TESTKIT_START_FAILED` as {@link startKafka}.
   */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops the broker and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts a single-node KRaft Kafka: formats a fresh log dir (`kafka.tools.StorageTool format`),
 * spawns `java kafka.Kafka server.properties`, and resolves once a kafkajs admin can connect
 * and list topics. Topics are auto-created with `numPartitions` partitions; internal topics have
 * replication factor 1; `group.initial.rebalance.delay.ms=0`.
 * With `saslSsl`, also a SASL_SSL listener with ACLs enforced (see {@link KafkaOptions.saslSsl}).
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when the jars are not in the cache (run scripts/infra/fetch-kafka.sh);
 *   `BB_TESTKIT_START_FAILED` when formatting fails or the JVM exits; `BB_TESTKIT_START_TIMEOUT` after `startTimeoutMs`.
 *   Both carry the tail of the server log.
 */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaHandle> {
  noteStart('kafka');
  if ((await chooseBackend(opts.backend)) === 'testcontainers') {
    if (opts.saslSsl !== undefined) throw new TestkitError('BB_TESTKIT_UNSUPPORTED', 'startKafka: saslSsl needs the native backend (BUSBAR_TESTKIT_BACKEND=native)');
    return startKafkaContainer();
  }
  // the free ports are chosen before the JVM binds them: another process may take one in between
  // (seen once in CI on a busy machine) — start again on new ports, at most three times
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNativeKafka(opts);
    } catch (err) {
      const portTaken = err instanceof TestkitError && /BindException|Address already in use|ServerSocketChannelImpl\.bind/.test(err.message);
      if (!portTaken || attempt >= 3) throw err;
    }
  }
}

/** One native start of {@link startKafka} on two new free ports. */
async function startNativeKafka(opts: KafkaOptions): Promise<KafkaHandle> {
  const home = kafkaHome(opts.version);
  const java = opts.java ?? (process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java');
  const dir = mkdtempSync(join(tmpdir(), 'busbar-kafka-'));
  rememberTempDir(dir);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const brokers = [`${LOOPBACK}:${port}`];
  const logFile = join(dir, 'server.log');
  const propsFile = join(dir, 'server.properties');
  const secure = opts.saslSsl === undefined ? undefined : await saslSslProperties(opts.saslSsl, dir, await freePort());
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${LOOPBACK}:${controllerPort}`,
    listeners: `PLAINTEXT://${LOOPBACK}:${port},CONTROLLER://${LOOPBACK}:${controllerPort}${secure ? `,SASL_SSL://${secure.listener.brokers[0]}` : ''}`,
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${port}${secure ? `,SASL_SSL://${secure.listener.brokers[0]}` : ''}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secure ? ',SASL_SSL:SASL_SSL' : ''}`,
    'log.dirs': join(dir, 'data'),
    'num.partitions': opts.numPartitions ?? 3,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    ...secure?.properties,
    ...opts.properties,
  };
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');

  const jvm = [
    `-Xmx${opts.heapMb ?? 512}m`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
    '-cp',
    join(home, 'libs', '*'),
  ];
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (as `random-uuid` prints).
  // Like Kafka's Uuid.randomUuid, never one that starts with '-': the storage tool would take it for an option.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  await runToCompletion('kafka-storage-format', java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, ...(secure?.formatArgs ?? [])], {
    cwd: dir,
    logFile,
    timeoutMs: 60_000,
  });

  const startTimeoutMs = opts.startTimeoutMs ?? 90_000;
  const stopGraceMs = opts.stopGraceMs ?? 30_000;
  let proc: ServerProcess | undefined;
  let disposed = false;

  const launch = async (): Promise<void> => {
    proc = spawnServer('kafka', java, [...jvm, 'kafka.Kafka', propsFile], { cwd: dir, logFile, removeOnOrphan: dir });
    await waitUntilReady(proc, () => adminCanConnect(brokers), { timeoutMs: startTimeoutMs, intervalMs: 500, what: `ready on ${brokers[0]}` });
  };
  const stop = async (): Promise<void> => {
    if (proc !== undefined) await proc.stop(stopGraceMs);
  };

  await launch();
  const handle: KafkaHandle = {
    brokers,
    ...(secure ? { saslSsl: secure.listener } : {}),
    dir,
    logFile,
    running: () => proc?.running() ?? false,
    stop,
    async start() {
      if (disposed) throw new Error('startKafka: handle already disposed');
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

/** JAAS value: a double-quoted string (backslash and quote escaped). */
function jaasString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The `server.properties` entries and `kafka-storage format` arguments of a SASL_SSL listener on
 * `port`: PEM keystore from the test CA (and the CA as truststore when client certificates are
 * asked for), PLAIN users in the listener's JAAS line, SCRAM users
 * stored at format time, StandardAuthorizer with no access unless an ACL grants it.
 * (Kafka documentation, "Security" §7.3 SSL, §7.4 SASL, §7.5 authorization and ACLs.)
 */
async function saslSslProperties(options: SaslSslOptions, dir: string, port: number): Promise<{ listener: SaslSslListener; properties: Record<string, string | boolean>; formatArgs: string[] }> {
  const pki = options.pki ?? (await createTestPki());
  const keystore = pemKeystore(pki.server, join(dir, 'keystore.pem'));
  const all = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
  const plainUsers = options.users.filter((u) => (u.mechanisms ?? all).includes('PLAIN'));
  const formatArgs: string[] = [];
  for (const u of options.users) {
    if (/[,=[\]"]/.test(u.username) || /[,\]"]/.test(u.password)) throw new TestkitError('BB_TESTKIT_UNSUPPORTED', `startKafka: SASL user ${JSON.stringify(u.username)}: user names may not hold , = [ ] " and passwords , ] " (kafka-storage --add-scram syntax)`);
    for (const m of (u.mechanisms ?? all).filter((x) => x !== 'PLAIN')) formatArgs.push('--add-scram', `${m}=[name=${u.username},password=${u.password}]`);
  }
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const plain = `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers.map((u) => `user_${u.username}=${jaasString(u.password)}`).join(' ')};`;
  const superUsers = ['ANONYMOUS', ...(options.superUsers ?? [])].map((u) => `User:${u}`).join(';');
  return {
    listener: { brokers: [`${LOOPBACK}:${port}`], caFile: pki.caFile, pki },
    formatArgs,
    properties: {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': scram,
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
      'listener.name.sasl_ssl.plain.sasl.jaas.config': plain,
      'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
      'listener.name.sasl_ssl.ssl.keystore.location': keystore,
      'listener.name.sasl_ssl.ssl.client.auth': options.clientAuth ?? 'none',
      ...(options.clientAuth === undefined || options.clientAuth === 'none' ? {} : { 'listener.name.sasl_ssl.ssl.truststore.type': 'PEM', 'listener.name.sasl_ssl.ssl.truststore.location': pki.caFile }),
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': false,
      'super.users': superUsers,
    },
  };
}

async function adminCanConnect(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'busbar-testkit-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
