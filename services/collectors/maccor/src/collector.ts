/**
 * The Maccor collector's composition: per tester one MacNet client, one {@link DeviceSupervisor}
 * (poll plan → one Reading per channel, connection changes and channel transitions → DeviceEvents),
 * and one {@link MaccorRunner} that executes the tester's `maccor.*` commands routed by the commander
 * (testers are exclusive-session devices, see `packages/actions/src/maccor/device-config.ts`).
 *
 * Commands do not wait for a whole poll (`DeviceSupervisor.exclusive`): the client has one request
 * queue per tester in which commands go ahead of queued poll requests, so a command waits for at most
 * the one request in flight (~30 ms on a real tester, Maccor MacNet reference §2, §12).
 * Direct-output set-points are handled concurrently (the consumer does not wait for their pacing, so
 * newer ones can supersede older ones); every other command is awaited in order.
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, systemClock } from '@busbar/core';
import { CommandExecutor, createMaccorBinding } from '@busbar/actions';
import type { Command, CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import { MaccorClient } from '@busbar/driver-maccor-macnet';
import type { ChannelStateSample } from '@busbar/driver-maccor-macnet';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { CollectorConfig } from './config.js';
import { MaccorRunner } from './direct-control.js';
import { TesterPoller } from './poller.js';
import { PROTOCOL, toReading, transitionEvent } from './readings.js';
import type { TesterPoll } from './readings.js';
import type { MaccorDeviceConfig } from './types.js';

/** Builds the MacNet client of one configured tester. */
export function clientFor(device: MaccorDeviceConfig, logger: Logger, metrics: Metrics): MaccorClient {
  return new MaccorClient({ host: device.host, jsonPort: device.jsonPort, binaryPort: device.binaryPort, restVia: device.restVia, requestTimeoutMs: device.requestTimeoutMs, connectTimeoutMs: device.connectTimeoutMs, logger, metrics });
}

/**
 * Signs on: (1,2) general info, and checks that the configured channels exist.
 * @throws BusbarError `BB_MACCOR_CHANNELS_EXCEED_TESTER`; the driver's connection errors.
 */
export async function signOn(device: MaccorDeviceConfig, client: MaccorClient): Promise<void> {
  const info = await client.getGeneralInfo();
  if (device.channels > info.testChannels) {
    throw new BusbarError('BB_MACCOR_CHANNELS_EXCEED_TESTER', `device ${device.id}: channels is ${device.channels} but tester ${info.systemId} has ${info.testChannels} test channels`, { context: { channels: device.channels, testChannels: info.testChannels } });
  }
}

/** Routed-command action whose handling is not awaited by the consumer (pacing, coalescing). */
const CONCURRENT_ACTION = 'maccor.set_direct_output';

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start (the tester loops themselves never throw).
 */
export async function startMaccorCollector(config: CollectorConfig, deps: { logger: Logger; metrics: Metrics; clock?: Clock }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? `busbar-collector-maccor-${config.instanceId}` }, logger);
  const producer: Producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const readings = new RecordPublisher(producer, config.topics.readings, readingSerde, metrics);
  const events = new RecordPublisher(producer, config.topics.deviceEvents, deviceEventSerde, metrics);
  const results = new RecordPublisher(producer, config.topics.commandResults, commandResultSerde, metrics);
  const publishFailures = metrics.counter({ name: 'busbar_collector_publish_errors_total', help: 'Records the collector failed to publish to Kafka.', labelNames: ['topic'] });

  const publishEvent = async (e: DeviceEventInput): Promise<void> => {
    try {
      await events.publish([{ key: e.device_id, value: e }]);
    } catch (err) {
      publishFailures.inc({ topic: events.topic });
      logger.error({ err, deviceId: e.device_id }, 'could not publish device event');
    }
  };
  const publishResult = async (r: CommandResultInput): Promise<void> => {
    try {
      await results.publish([{ key: r.device_id, value: r }]);
    } catch (err) {
      publishFailures.inc({ topic: results.topic });
      logger.error({ err, deviceId: r.device_id, commandId: r.command_id }, 'could not publish command result');
    }
  };

  const testers = new Map<string, { device: MaccorDeviceConfig; client: MaccorClient; runner: MaccorRunner; supervisor: DeviceSupervisor<TesterPoll> }>();
  let sequence = 0;
  for (const device of config.devices) {
    const log = logger.child({ deviceId: device.id });
    const client = clientFor(device, log, metrics);
    const poller = new TesterPoller(device, client, metrics, clock);
    const runner = new MaccorRunner(device, client, { publishEvent, publishResult }, { logger: log, metrics, clock });
    const previous = new Map<number, ChannelStateSample>();
    log.info({ plan: poller.plan }, 'maccor poll plan');
    if (poller.plan.overBudget) log.warn({ plan: poller.plan }, 'the minimal poll plan does not fit the poll budget: raise pollIntervalMs or pollBudgetFraction');
    const supervisor = new DeviceSupervisor<TesterPoll>(
      {
        connect: () => signOn(device, client),
        poll: () => poller.poll(),
        close: async () => undefined, // the client reconnects by itself on the next request
      },
      {
        onPoll: async (poll, atMs) => {
          const at = new Date(atMs);
          const out = poll.statuses.map((s) => ({ key: device.id, value: toReading(device.id, s, poll, atMs, ++sequence) }));
          try {
            await readings.publish(out);
          } catch (err) {
            publishFailures.inc({ topic: readings.topic });
            log.error({ err }, 'could not publish readings');
          }
          for (const s of poll.statuses) {
            const d = poll.details.get(s.channel)?.reading;
            const sample: ChannelStateSample = { stat: s.stat, rf1: s.rf1, rf2: s.rf2, ...(d ? { step: d.step, cycle: d.cycle } : {}) };
            const e = transitionEvent(device.id, s.channel, previous.get(s.channel), sample, at);
            previous.set(s.channel, sample);
            if (e) await publishEvent(e);
          }
        },
        onConnected: ({ outageMs, attempts }) =>
          publishEvent({ event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(), kind: 'CONNECTED', state: 'connected', reason: outageMs > 0 ? `reconnected after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected', details: { outage_ms: String(outageMs), attempts: String(attempts) } }),
        onDisconnected: ({ error, code }) =>
          publishEvent({ event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(), kind: 'DISCONNECTED', state: 'disconnected', reason: error instanceof Error ? error.message : String(error), error_code: code }),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics, clock },
    );
    testers.set(device.id, { device, client, runner, supervisor });
  }

  // Every Maccor command is routed here by the commander; the same binding validates again and executes.
  const binding = createMaccorBinding({ devices: config.devices }, config.topics.deviceCommands, { logger, metrics, runnerFor: (id) => testers.get(id)?.runner });
  const executor = new CommandExecutor({ logger, metrics, clock, resolve: (cmd) => binding.resolve(cmd) });
  const inFlight = new Set<Promise<void>>();
  const finish = async (cmd: Command): Promise<void> => {
    const handled = await executor.handle(cmd);
    if (handled.kind !== 'result') return;
    const by = testers.get(cmd.target.device_id)?.runner.supersededByOf(cmd.command_id);
    await publishResult(by ? { ...handled.result, details: { ...handled.result.details, superseded_by: by } } : handled.result);
  };
  const commandConsumer = new DecodingConsumer<Command>({
    kafka,
    producer,
    groupId: `busbar-collector-maccor-${config.instanceId}`,
    topic: config.topics.deviceCommands,
    fromBeginning: false,
    decoder: commandSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    logger,
    metrics,
    handle: async (records) => {
      for (const r of records) {
        if (!binding.has(r.value.target.device_id)) continue; // another collector owns it
        if (r.value.action === CONCURRENT_ACTION) {
          const p = finish(r.value).catch((err: unknown) => logger.error({ err, commandId: r.value.command_id }, 'set-point handling failed'));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        } else {
          await finish(r.value);
        }
      }
    },
  });
  await commandConsumer.start();

  for (const t of testers.values()) t.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id) }, 'maccor collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...testers].map(([id, t]) => [id, t.supervisor.isConnected ? 'up' : `down: ${t.supervisor.lastErrorMessage ?? 'connecting'}`]));
      const direct = Object.fromEntries([...testers].map(([id, t]) => [id, t.runner.directChannels()]));
      return { ok: true, details: { devices, direct_control: direct } };
    },
    stop: async () => {
      await commandConsumer.stop();
      await Promise.all([...testers.values()].map((t) => t.runner.stop()));
      await Promise.all([...inFlight]);
      await Promise.all([...testers.values()].map((t) => t.supervisor.stop()));
      for (const t of testers.values()) t.client.close();
      await producer.disconnect();
    },
  };
}
