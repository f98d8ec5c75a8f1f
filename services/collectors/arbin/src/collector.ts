/**
 * The Arbin collector's composition: one {@link DeviceSupervisor} per cycler (poll → one Reading per
 * channel, connection changes and channel state transitions → DeviceEvents), one idempotent
 * producer, and a consumer of the Arbin commands the commander routed here: every cycler's CTI
 * session is exclusive, owned by this process (packages/actions/src/arbin, docs/architecture.md
 * "Single-session devices").
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { CommandExecutor, createArbinBinding } from '@busbar/actions';
import type { Command, CommandResultInput, DeviceEventInput, ReadingInput } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { ArbinCredentials, ChannelReading } from '@busbar/driver-arbin-cti';
import { channelStateTransition, loadArbinCredentials } from '@busbar/driver-arbin-cti';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { ArbinDevice, CollectorConfig } from './config.js';
import { PROTOCOL, toArbinReading, transitionEvent } from './records.js';
import { CyclerSession } from './session.js';

/** The set-MV action: executed without waiting for the previous one so the client can coalesce. */
const SET_MV = 'arbin.set_meta_variable';

/** Dependencies of {@link startArbinCollector}. */
export interface ArbinCollectorDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** CTI user; default `loadArbinCredentials(process.env)` (`ARBIN_CTI_USERNAME`/`ARBIN_CTI_PASSWORD` or `*_FILE`). */
  readonly credentials?: ArbinCredentials | { readonly username: string; readonly password: string };
}

/**
 * Turns one poll of a cycler into Readings and the DeviceEvents of the channels whose state changed
 * since the previous poll (`previous` is updated in place; it survives reconnects, so a change
 * during an outage is reported after it).
 */
export function pollRecords(device: string, readings: readonly ChannelReading[], previous: Map<number, ChannelReading>, atMs: number, nextSequence: () => number): { readonly readings: ReadingInput[]; readonly events: DeviceEventInput[] } {
  const out: ReadingInput[] = [];
  const events: DeviceEventInput[] = [];
  for (const r of readings) {
    out.push(toArbinReading(device, r, atMs, nextSequence()));
    const t = channelStateTransition(previous.get(r.channel), r);
    if (t !== null) events.push(transitionEvent(device, t, r, atMs));
    previous.set(r.channel, r);
  }
  return { readings: out, events };
}

/**
 * Starts the collector.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_CREDENTIALS_MISSING` when no credentials are configured; when
 *   Kafka cannot be reached at start (the device loops themselves never throw).
 */
export async function startArbinCollector(config: CollectorConfig, deps: ArbinCollectorDeps): Promise<RunningService> {
  const { logger, metrics } = deps;
  const credentials = deps.credentials ?? loadArbinCredentials(process.env);
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? `busbar-collector-arbin-${config.instanceId}` }, logger);
  const producer: Producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const readingsOut = new RecordPublisher(producer, config.topics.readings, readingSerde, metrics);
  const eventsOut = new RecordPublisher(producer, config.topics.deviceEvents, deviceEventSerde, metrics);
  const resultsOut = new RecordPublisher(producer, config.topics.commandResults, commandResultSerde, metrics);
  const m = {
    publishFailures: metrics.counter({ name: 'busbar_collector_publish_errors_total', help: 'Records the collector failed to publish to Kafka.', labelNames: ['topic'] }),
    channelReadings: metrics.counter({ name: 'busbar_collector_channel_readings_total', help: 'Channel readings published, per cycler.', labelNames: ['device'] }),
    transitions: metrics.counter({ name: 'busbar_collector_channel_transitions_total', help: 'Channel state transitions reported, per cycler and kind.', labelNames: ['device', 'kind'] }),
  };

  const publishEvents = async (list: readonly DeviceEventInput[]): Promise<void> => {
    if (list.length === 0) return;
    try {
      await eventsOut.publish(list.map((e) => ({ key: e.device_id, value: e })));
    } catch (err) {
      m.publishFailures.inc({ topic: eventsOut.topic });
      logger.error({ err }, 'could not publish device events');
    }
  };

  interface Owned { readonly device: ArbinDevice; readonly session: CyclerSession; readonly supervisor: DeviceSupervisor<ChannelReading[]> }
  const owned = new Map<string, Owned>();
  let sequence = 0;
  for (const device of config.devices) {
    const log = logger.child({ deviceId: device.id });
    const session = new CyclerSession(device, credentials, log, metrics);
    const previous = new Map<number, ChannelReading>();
    const event = (e: Omit<DeviceEventInput, 'event_id' | 'device_id' | 'protocol' | 'timestamp'>): DeviceEventInput => ({ event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(), ...e });
    const supervisor = new DeviceSupervisor<ChannelReading[]>(
      session,
      {
        onPoll: async (readings, atMs) => {
          const records = pollRecords(device.id, readings, previous, atMs, () => ++sequence);
          try {
            await readingsOut.publish(records.readings.map((r) => ({ key: device.id, value: r })));
            m.channelReadings.inc({ device: device.id }, records.readings.length);
          } catch (err) {
            m.publishFailures.inc({ topic: readingsOut.topic });
            log.error({ err }, 'could not publish readings');
          }
          for (const e of records.events) m.transitions.inc({ device: device.id, kind: e.details?.transition ?? 'unknown' });
          await publishEvents(records.events);
        },
        onConnected: ({ outageMs, attempts }) => {
          const s = session.session;
          return publishEvents([event({
            kind: 'CONNECTED', state: 'connected',
            reason: outageMs > 0 ? `reconnected and logged in again after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected and logged in',
            details: { outage_ms: String(outageMs), attempts: String(attempts), serial: s?.cycler_sn ?? '', num_channels: String(s?.num_channels ?? ''), allow_control: String(s?.allow_control ?? ''), channels_polled: String(session.channels.length) },
          })]);
        },
        onDisconnected: ({ error, code }) =>
          publishEvents([event({ kind: 'DISCONNECTED', state: 'disconnected', reason: error instanceof Error ? error.message : String(error), error_code: code })]),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    session.exclusive = (fn) => supervisor.exclusive(fn);
    owned.set(device.id, { device, session, supervisor });
  }

  // Every Arbin command for these cyclers, routed here by the commander, runs on the owned session.
  const binding = createArbinBinding({ devices: config.devices }, config.topics.deviceCommands, { logger, metrics, owner: { port: (id) => owned.get(id)?.session.port } });
  const executor = new CommandExecutor({ logger, metrics, resolve: (cmd) => binding.resolve(cmd) });
  const handleOne = async (cmd: Command): Promise<CommandResultInput | undefined> => {
    const handled = await executor.handle(cmd);
    return handled.kind === 'result' ? binding.finalize(handled.result) : undefined;
  };
  const consumer = new DecodingConsumer<Command>({
    kafka,
    producer,
    groupId: `busbar-collector-arbin-${config.instanceId}`,
    topic: config.topics.deviceCommands,
    fromBeginning: false,
    decoder: commandSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    logger,
    metrics,
    handle: async (records) => {
      // In order per cycler; set-MV commands are handed to the client without waiting for the
      // previous one (so it can space and coalesce them); any other command first waits for them.
      const all: Promise<CommandResultInput | undefined>[] = [];
      const mvPending = new Map<string, Promise<unknown>[]>();
      for (const r of records) {
        const cmd = r.value;
        if (!binding.has(cmd.target.device_id)) continue; // another collector's device
        const id = cmd.target.device_id;
        if (cmd.action === SET_MV) {
          const p = handleOne(cmd);
          all.push(p);
          mvPending.set(id, [...(mvPending.get(id) ?? []), p]);
          continue;
        }
        await Promise.allSettled(mvPending.get(id) ?? []);
        mvPending.delete(id);
        const p = handleOne(cmd);
        all.push(p);
        await p;
      }
      const results = (await Promise.all(all)).filter((x): x is CommandResultInput => x !== undefined);
      await resultsOut.publish(results.map((v) => ({ key: v.device_id, value: v })));
    },
  });
  await consumer.start();

  for (const o of owned.values()) o.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id) }, 'arbin collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...owned].map(([id, o]) => [id, o.supervisor.isConnected ? 'up' : `down: ${o.supervisor.lastErrorMessage ?? 'connecting'}`]));
      return { ok: true, details: { devices } };
    },
    stop: async () => {
      await consumer.stop();
      await Promise.all([...owned.values()].map((o) => o.supervisor.stop()));
      await producer.disconnect();
    },
  };
}
