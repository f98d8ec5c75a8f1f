/**
 * The Modbus collector's composition: one {@link DeviceSupervisor} per configured device
 * (poll → Reading, connection changes → DeviceEvent), one idempotent producer, and — for the
 * single-session devices it owns — a consumer of routed device commands executed between polls
 * (docs/architecture.md "Single-session devices").
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { CommandExecutor, CommandPipeline, prepareModbusWrite } from '@busbar/actions';
import type { ResolvedModbusDevice } from '@busbar/actions';
import type { Command, DeviceEventInput, ReadingInput } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { PointValues } from '@busbar/driver-modbus';
import { ModbusDeviceClient } from '@busbar/driver-modbus';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { CollectorConfig } from './config.js';

/** Protocol name written into every record. */
export const PROTOCOL = 'modbus';

/**
 * Turns one poll of a device into a Reading: numeric points as they are, bits as 1/0.
 *
 * @param values - point name → engineering value (SI units in the names, per the register map).
 */
export function toReading(deviceId: string, values: PointValues, atMs: number, sequence: number): ReadingInput {
  const numeric: Record<string, number> = {};
  for (const [name, v] of Object.entries(values)) numeric[name] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  return { device_id: deviceId, protocol: PROTOCOL, channel: null, timestamp: new Date(atMs), values: numeric, quality: 'GOOD', sequence };
}

/** Builds the client of one configured device. */
export function clientFor(device: ResolvedModbusDevice, logger: Logger, metrics: Metrics): ModbusDeviceClient {
  // The supervisor owns reconnection (and reports outages), so the client's own loop is off.
  return new ModbusDeviceClient({ connection: device.connection, unitId: device.unitId, timeoutMs: device.timeoutMs, map: device.registerMap, logger, metrics, deviceId: device.id, reconnect: { auto: false } });
}

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start (the device loops themselves never throw).
 */
export async function startModbusCollector(config: CollectorConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? `busbar-collector-modbus-${config.instanceId}` }, logger);
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

  const supervisors = new Map<string, { device: ResolvedModbusDevice; client: ModbusDeviceClient; supervisor: DeviceSupervisor<PointValues> }>();
  let sequence = 0;
  for (const device of config.devices) {
    const log = logger.child({ deviceId: device.id });
    const client = clientFor(device, log, metrics);
    const supervisor = new DeviceSupervisor<PointValues>(
      {
        connect: () => client.connect(),
        poll: async () => (await client.readAll()).values,
        close: () => client.close().catch(() => undefined),
      },
      {
        onPoll: async (values, atMs) => {
          const reading = toReading(device.id, values, atMs, ++sequence);
          try {
            await readings.publish([{ key: device.id, value: reading }]);
          } catch (err) {
            publishFailures.inc({ topic: readings.topic });
            log.error({ err }, 'could not publish reading');
          }
        },
        onConnected: ({ outageMs, attempts }) =>
          publishEvent({ event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(), kind: 'CONNECTED', state: 'connected', reason: outageMs > 0 ? `reconnected after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected', details: { outage_ms: String(outageMs), attempts: String(attempts) } }),
        onDisconnected: ({ error, code }) =>
          publishEvent({ event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(), kind: 'DISCONNECTED', state: 'disconnected', reason: error instanceof Error ? error.message : String(error), error_code: code }),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    supervisors.set(device.id, { device, client, supervisor });
  }

  // Commands routed to this process for the single-session devices it owns.
  const owned = [...supervisors.values()].filter((s) => s.device.session === 'exclusive');
  let commandConsumer: DecodingConsumer<Command> | undefined;
  if (owned.length > 0) {
    const executor = new CommandExecutor({
      logger,
      metrics,
      resolve: (cmd) => {
        const s = supervisors.get(cmd.target.device_id)!;
        const prepared = prepareModbusWrite(cmd, s.device.registerMap, () => s.client);
        return { kind: 'execute', action: { summary: prepared.summary, run: () => s.supervisor.exclusive(() => prepared.run()) } };
      },
    });
    const pipeline = new CommandPipeline(executor, {
      publishResult: (res) => results.publish([{ key: res.device_id, value: res }]),
    });
    commandConsumer = new DecodingConsumer<Command>({
      kafka,
      producer,
      groupId: `busbar-collector-modbus-${config.instanceId}`,
      topic: config.topics.deviceCommands,
      fromBeginning: false,
      decoder: commandSerde,
      deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
      logger,
      metrics,
      handle: async (records) => {
        for (const r of records) {
          const s = supervisors.get(r.value.target.device_id);
          if (!s || s.device.session !== 'exclusive') continue; // another collector owns it
          await pipeline.process(r.value);
        }
      },
    });
    await commandConsumer.start();
  }

  for (const s of supervisors.values()) s.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id), owned: owned.map((s) => s.device.id) }, 'modbus collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...supervisors].map(([id, s]) => [id, s.supervisor.isConnected ? 'up' : `down: ${s.supervisor.lastErrorMessage ?? 'connecting'}`]));
      return { ok: true, details: { devices } };
    },
    stop: async () => {
      await commandConsumer?.stop();
      await Promise.all([...supervisors.values()].map((s) => s.supervisor.stop()));
      await producer.disconnect();
    },
  };
}
