/**
 * The Modbus collector's composition: one {@link DeviceSupervisor} per configured device
 * (poll → Reading, connection changes → DeviceEvent), one idempotent producer, and — for the
 * single-session devices it owns — a consumer of routed device commands executed between polls
 * (docs/architecture.md "Single-session devices").
 */
import type { Logger, Metrics } from '@busbar/core';
import { CommandExecutor, prepareModbusWrite } from '@busbar/actions';
import { assertNotExpired } from '@busbar/safety';
import type { ResolvedModbusDevice } from '@busbar/actions';
import type { ReadingInput } from '@busbar/avro';
import { CollectorKit } from '@busbar/collector-kit';
import type { PointValues } from '@busbar/driver-modbus';
import { ModbusDeviceClient } from '@busbar/driver-modbus';
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
  const kit = await CollectorKit.start({ service: 'collector-modbus', protocol: PROTOCOL, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, logger, metrics });

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
          await kit.publishReadings([toReading(device.id, values, atMs, ++sequence)]);
        },
        ...kit.connectionEvents(device.id),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    supervisors.set(device.id, { device, client, supervisor });
  }

  // Commands routed to this process for the single-session devices it owns, run between two polls.
  const owned = [...supervisors.values()].filter((s) => s.device.session === 'exclusive');
  if (owned.length > 0) {
    const executor = new CommandExecutor({
      maxLifetimeMs: config.maxCommandLifetimeMs,
      logger,
      metrics,
      resolve: (cmd) => {
        const s = supervisors.get(cmd.target.device_id)!;
        const prepared = prepareModbusWrite(cmd, s.device.registerMap, () => s.client); // validated again: defence in depth
        const run = (): Promise<Record<string, string>> => {
          assertNotExpired(cmd); // after waiting for the poll in progress
          return prepared.run();
        };
        return { kind: 'execute', action: { summary: prepared.summary, run: () => s.supervisor.exclusive(run) } };
      },
    });
    await kit.consumeRoutedCommands({ executor, owns: (id) => supervisors.get(id)?.device.session === 'exclusive' });
  }

  for (const s of supervisors.values()) s.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id), owned: owned.map((s) => s.device.id) }, 'modbus collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...supervisors].map(([id, s]) => [id, s.supervisor.isConnected ? 'up' : `down: ${s.supervisor.lastErrorMessage ?? 'connecting'}`]));
      return { ok: true, details: { devices } };
    },
    stop: async () => {
      await kit.stopCommands();
      await Promise.all([...supervisors.values()].map((s) => s.supervisor.stop()));
      await kit.close();
    },
  };
}
