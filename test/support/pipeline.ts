/**
 * Test support: the environment every end-to-end pipeline test runs in — the run's shared Kafka
 * and InfluxDB (and, on request, an SMTP sink on the shared SMTP server) from
 * `@busbar/testkit/shared`, this suite's own topics, InfluxDB bucket and mail recipient,
 * a producer for commands and garbage, and a {@link Recorder} of the topics the services publish.
 * The services under test and the simulators stay in each test file: only the plumbing is here.
 */
import { randomUUID } from 'node:crypto';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import type { Alert, AvroFraming, CommandInput, CommandResult, DeadLetter, DeviceEvent, Reading } from '@busbar/avro';
import { alertSerde, commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { RunningService } from '@busbar/runtime';
import { startInflux } from '@busbar/testkit';
import type { InfluxHandle } from '@busbar/testkit';
import { createBucket, sharedKafka, smtpSink } from '@busbar/testkit/shared';
import type { InfluxBucket, SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { Recorder } from './recorder.js';
import type { TopicLog } from './recorder.js';

/**
 * Waits until every partition of `topics` answers a ListOffsets request: a broker that has just
 * created a topic (all the more on a loaded machine) may still answer "not the leader for that
 * topic-partition" for a moment after `createTopics({ waitForLeaders: true })`, and the services
 * read their topics' offsets at start.
 * @throws the last error after `timeoutMs`.
 */
async function untilOffsetsAnswer(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (const topic of topics) {
    for (;;) {
      try {
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (err) {
        if (Date.now() > end || (err as { retriable?: unknown }).retriable !== true) throw err;
        await new Promise((r) => setTimeout(r, 100));
        await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined); // refresh who leads what
      }
    }
  }
}

/** Options of {@link startPipelineEnv}. */
export interface PipelineEnvOptions {
  /**
   * Inserted after the run id in every topic name: `e2e.<run>.<namespace>.readings`. Without it
   * the names are `e2e.<run>.readings`.
   */
  readonly namespace?: string;
  /** kafkajs client id of the test's own producer and recorder. @default 'e2e' */
  readonly clientId?: string;
  /** Also open a mailbox on the shared SMTP server (for the alerter; send to its `address`). @default false */
  readonly smtp?: boolean;
  /**
   * Start a private InfluxDB for this suite (it may `stop()` and `start()` it: outage tests)
   * instead of a bucket of its own on the run's shared InfluxDB. @default false
   */
  readonly privateInflux?: boolean;
  /**
   * Value framing of the test's own producer (`sendCommand`) and recorder (which reads both
   * framings through its registry). @default single-object, no registry
   */
  readonly framing?: AvroFraming;
}

/** The InfluxDB a pipeline writes to: server, org, this suite's bucket and a token. */
export type PipelineInflux = Pick<InfluxBucket, 'url' | 'org' | 'bucket' | 'token'>;

/** This run's topic names, in the shape of the services' `topics:` section. */
export interface PipelineTopics {
  readonly readings: string;
  readonly deviceEvents: string;
  readonly commands: string;
  readonly deviceCommands: string;
  readonly commandResults: string;
  readonly alerts: string;
  readonly deadLetter: string;
}

/** A command as a test writes it: the rest (id, issuer `e2e`, issued now, expiring in 60 s) is filled in. */
export type TestCommand = Partial<CommandInput> & Pick<CommandInput, 'target' | 'action' | 'parameters'>;

/** A running pipeline environment (see {@link startPipelineEnv}). */
export interface PipelineEnv {
  /** 8 hex characters unique to this run (in topic names; use it in group ids and test names). */
  readonly run: string;
  /** This run's topics, all created with 3 partitions. */
  readonly topics: PipelineTopics;
  /** The run's shared Kafka server (`brokers` for the services' `kafka:` section). */
  readonly kafka: SharedKafka;
  /** The InfluxDB bucket of this suite (url, org, bucket, token). */
  readonly influx: PipelineInflux;
  /** This suite's mailbox on the shared SMTP server, when `smtp: true` was asked for. */
  readonly smtp: SmtpSink | undefined;
  /** A connected producer (commands, garbage for the dead-letter tests). */
  readonly producer: Producer;
  /** What was published on the readings topic. */
  readonly readings: TopicLog<Reading>;
  /** What was published on the device-events topic. */
  readonly events: TopicLog<DeviceEvent>;
  /** What was published on the command-results topic. */
  readonly results: TopicLog<CommandResult>;
  /** What was published on the alerts topic. */
  readonly alerts: TopicLog<Alert>;
  /** What was published on the dead-letter topic. */
  readonly deadLetters: TopicLog<DeadLetter>;
  /** Services stopped by {@link PipelineEnv.stop}, last first: push the ones the test starts. */
  readonly services: RunningService[];
  /** Sends `cmd` (completed as {@link TestCommand} says) to the commands topic, keyed by its device id; resolves with its command id. */
  sendCommand(cmd: TestCommand): Promise<string>;
  /** Runs a Flux query against the InfluxDB server; resolves with its rows. */
  influxQuery(flux: string): Promise<Record<string, unknown>[]>;
  /**
   * Stops the services (last first), the recorder and the producer, then — together, errors
   * ignored — `alsoClose` (simulators, proxies: called at that moment, so a restarted simulator is
   * the one closed) and a private InfluxDB (the shared servers stay up for the next suite).
   */
  stop(...alsoClose: (() => Promise<unknown> | undefined)[]): Promise<void>;
}

/** A {@link PipelineEnv} with its SMTP sink. */
export type PipelineEnvWithSmtp = PipelineEnv & { readonly smtp: SmtpSink };

/** A {@link PipelineEnv} with a private InfluxDB (`stop()`/`start()` for outage tests). */
export type PipelineEnvWithPrivateInflux = PipelineEnv & { readonly influx: InfluxHandle };

/**
 * Gets the shared Kafka, a bucket of its own on the shared InfluxDB (or, with `privateInflux`,
 * a private InfluxDB) and, when asked, a mailbox on the shared SMTP server, in parallel; creates
 * this run's topics, connects a producer and starts recording the readings, device-events,
 * command-results, alerts and dead-letter topics from their beginning. A private InfluxDB is
 * stopped again when a later step fails.
 */
export function startPipelineEnv(options: PipelineEnvOptions & { readonly smtp: true; readonly privateInflux: true }): Promise<PipelineEnvWithSmtp & PipelineEnvWithPrivateInflux>;
export function startPipelineEnv(options: PipelineEnvOptions & { readonly smtp: true }): Promise<PipelineEnvWithSmtp>;
export function startPipelineEnv(options: PipelineEnvOptions & { readonly privateInflux: true }): Promise<PipelineEnvWithPrivateInflux>;
export function startPipelineEnv(options?: PipelineEnvOptions): Promise<PipelineEnv>;
export async function startPipelineEnv(options: PipelineEnvOptions = {}): Promise<PipelineEnv> {
  const run = randomUUID().slice(0, 8);
  const prefix = options.namespace === undefined ? `e2e.${run}` : `e2e.${run}.${options.namespace}`;
  const topics: PipelineTopics = {
    readings: `${prefix}.readings`,
    deviceEvents: `${prefix}.device-events`,
    commands: `${prefix}.commands`,
    deviceCommands: `${prefix}.device-commands`,
    commandResults: `${prefix}.command-results`,
    alerts: `${prefix}.alerts`,
    deadLetter: `${prefix}.dead-letter`,
  };
  const started = await Promise.allSettled([
    sharedKafka(),
    options.privateInflux === true ? startInflux() : createBucket(`e2e-${run}`),
    options.smtp === true ? smtpSink(`e2e-${run}`) : Promise.resolve(undefined),
  ]);
  const [kafkaStart, influxStart, smtpStart] = started;
  const privateInflux = options.privateInflux === true && influxStart.status === 'fulfilled' ? (influxStart.value as InfluxHandle) : undefined;
  const stopServers = (): Promise<unknown> => Promise.allSettled([privateInflux?.dispose()]);
  if (kafkaStart.status === 'rejected' || influxStart.status === 'rejected' || smtpStart.status === 'rejected') {
    await stopServers();
    throw started.find((s) => s.status === 'rejected')!.reason;
  }
  const [kafka, influx, smtp] = [kafkaStart.value, influxStart.value, smtpStart.value];

  const client = new Kafka({ clientId: options.clientId ?? 'e2e', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const producer = client.producer();
  const recorder = new Recorder(client);
  const f = options.framing;
  const logs = {
    readings: recorder.log(topics.readings, f ? f.decoder(readingSerde) : readingSerde),
    events: recorder.log(topics.deviceEvents, f ? f.decoder(deviceEventSerde) : deviceEventSerde),
    results: recorder.log(topics.commandResults, f ? f.decoder(commandResultSerde) : commandResultSerde),
    alerts: recorder.log(topics.alerts, f ? f.decoder(alertSerde) : alertSerde),
    deadLetters: recorder.log(topics.deadLetter, f ? f.decoder(deadLetterSerde) : deadLetterSerde),
  };
  const commandEncoder = f ? f.encoder(commandSerde, topics.commands) : undefined;
  const stopClients = async (): Promise<void> => {
    await recorder.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  };
  try {
    const admin = client.admin();
    try {
      await admin.connect();
      await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
      await untilOffsetsAnswer(admin, Object.values(topics));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await producer.connect();
    await recorder.start();
  } catch (err) {
    await stopClients();
    await stopServers();
    throw err;
  }

  const services: RunningService[] = [];
  return {
    run,
    topics,
    kafka,
    influx,
    smtp,
    producer,
    ...logs,
    services,
    sendCommand: async (cmd) => {
      const command_id = cmd.command_id ?? randomUUID();
      const full: CommandInput = { command_id, issuer: 'e2e', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), ...cmd };
      await commandEncoder?.ready();
      await producer.send({ topic: topics.commands, messages: [{ key: cmd.target.device_id, value: (commandEncoder ?? commandSerde).encode(full) }] });
      return command_id;
    },
    influxQuery: (flux) => new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org).collectRows(flux),
    stop: async (...alsoClose) => {
      for (const s of services.reverse()) await s.stop().catch(() => undefined);
      await stopClients();
      await Promise.allSettled([...alsoClose.map(async (close) => close()), stopServers()]);
    },
  };
}
