/**
 * The testcontainers backend (used only when {@link chooseBackend} says so; not exercised on CI,
 * which has no Docker engine). Modules are imported lazily by name so that this package neither
 * depends on nor type-checks against them.
 */
import { TestkitError } from './errors.js';
import type { InfluxHandle } from './influx.js';
import type { KafkaHandle } from './kafka.js';

// Minimal structural views of the testcontainers API used here.
interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface ContainerBuilder {
  withEnvironment(env: Record<string, string>): ContainerBuilder;
  withExposedPorts(...ports: number[]): ContainerBuilder;
  withWaitStrategy(strategy: unknown): ContainerBuilder;
  withKraft?(): ContainerBuilder;
  start(): Promise<StartedContainer>;
}

/** Kafka image used by the testcontainers backend. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
/** InfluxDB image used by the testcontainers backend. */
export const INFLUXDB_IMAGE = 'influxdb:2.7';

async function load(name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (err) {
    throw new TestkitError('BB_TESTKIT_UNSUPPORTED', `testcontainers backend: cannot import ${name} (npm install -D ${name})`, { cause: err });
  }
}

function unsupported(what: string): Promise<never> {
  return Promise.reject(new TestkitError('BB_TESTKIT_UNSUPPORTED', `testcontainers backend: ${what} is not supported (use the native backend)`));
}

/** Internal: a Kafka container (KRaft) behind a {@link KafkaHandle}; `start`/`restart` are unsupported. */
export async function startKafkaContainer(): Promise<KafkaHandle> {
  const mod = await load('@testcontainers/kafka');
  const KafkaContainer = mod['KafkaContainer'] as new (image: string) => ContainerBuilder;
  const builder = new KafkaContainer(KAFKA_IMAGE);
  const started = await (builder.withKraft ? builder.withKraft() : builder).start();
  let running = true;
  const stop = async (): Promise<void> => {
    if (running) await started.stop();
    running = false;
  };
  const handle: KafkaHandle = {
    brokers: [`${started.getHost()}:${started.getMappedPort(9093)}`],
    dir: '',
    logFile: '',
    running: () => running,
    stop,
    start: () => unsupported('start() after stop()'),
    restart: () => unsupported('restart()'),
    dispose: stop,
    [Symbol.asyncDispose]: stop,
  };
  return handle;
}

/** Internal: an onboarded InfluxDB 2 container behind an {@link InfluxHandle}; `start` is unsupported. */
export async function startInfluxContainer(cfg: { org: string; bucket: string; token: string; password: string }): Promise<InfluxHandle> {
  const mod = await load('testcontainers');
  const GenericContainer = mod['GenericContainer'] as new (image: string) => ContainerBuilder;
  const Wait = mod['Wait'] as { forHttp(path: string, port: number): unknown };
  const started = await new GenericContainer(INFLUXDB_IMAGE)
    .withEnvironment({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: 'busbar',
      DOCKER_INFLUXDB_INIT_PASSWORD: cfg.password,
      DOCKER_INFLUXDB_INIT_ORG: cfg.org,
      DOCKER_INFLUXDB_INIT_BUCKET: cfg.bucket,
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: cfg.token,
    })
    .withExposedPorts(8086)
    .withWaitStrategy(Wait.forHttp('/health', 8086))
    .start();
  const url = `http://${started.getHost()}:${started.getMappedPort(8086)}`;
  const res = await fetch(`${url}/api/v2/buckets?name=${encodeURIComponent(cfg.bucket)}`, { headers: { authorization: `Token ${cfg.token}` } });
  const body = (await res.json()) as { buckets?: { id: string; orgID: string }[] };
  const b = body.buckets?.[0];
  let running = true;
  const stop = async (): Promise<void> => {
    if (running) await started.stop();
    running = false;
  };
  const handle: InfluxHandle = {
    url,
    org: cfg.org,
    orgId: b?.orgID ?? '',
    bucket: cfg.bucket,
    bucketId: b?.id ?? '',
    token: cfg.token,
    dir: '',
    logFile: '',
    running: () => running,
    stop,
    start: () => unsupported('start() after stop()'),
    dispose: stop,
    [Symbol.asyncDispose]: stop,
  };
  return handle;
}
