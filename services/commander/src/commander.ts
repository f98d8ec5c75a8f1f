/**
 * The commander's composition.
 *
 *   commands topic ─▶ CommandExecutor (once per id, not after expiry, limits) ─┬─▶ device (shared session) ─▶ result
 *                                                                              └─▶ device-commands topic (exclusive
 *                                                                                  session: the owning collector
 *                                                                                  executes and publishes the result)
 *
 * At start it reads the results topic back (bounded by the command lifetime) so that a command
 * id answered before a restart is not executed again.
 */
import type { Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError } from '@busbar/core';
import { CommandExecutor, prepareModbusWrite } from '@busbar/actions';
import type { ResolvedModbusDevice } from '@busbar/actions';
import type { Command, CommandResultInput } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde } from '@busbar/avro';
import { ModbusDeviceClient } from '@busbar/driver-modbus';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, readTopicToEnd } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { CommandRefusedError } from '@busbar/safety';
import type { CommanderConfig } from './config.js';

/** A lazily connected client per shared-session device; reconnects on the next command after a failure. */
class SharedModbusConnection {
  private client: ModbusDeviceClient | undefined;
  constructor(private readonly device: ResolvedModbusDevice, private readonly logger: Logger, private readonly metrics: Metrics) {}

  async write(point: string, value: number | boolean): Promise<void> {
    if (!this.client) {
      const c = new ModbusDeviceClient({ connection: this.device.connection, unitId: this.device.unitId, timeoutMs: this.device.timeoutMs, map: this.device.registerMap, logger: this.logger, metrics: this.metrics, deviceId: this.device.id });
      try {
        await c.connect();
      } catch (cause) {
        await c.close().catch(() => undefined);
        throw new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `device ${this.device.id} is not reachable: ${(cause as Error).message}`, { cause, retriable: true });
      }
      this.client = c;
    }
    try {
      await this.client.write(point, value);
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable) {
        const c = this.client;
        this.client = undefined;
        await c.close().catch(() => undefined);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}

/**
 * Starts the commander.
 *
 * @throws when Kafka cannot be reached at start.
 */
export async function startCommander(config: CommanderConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const devices = new Map(config.modbus.devices.map((d) => [d.id, d]));
  const shared = new Map(config.modbus.devices.filter((d) => d.session === 'shared').map((d) => [d.id, new SharedModbusConnection(d, logger.child({ deviceId: d.id }), metrics)]));

  const executor = new CommandExecutor({
    logger,
    metrics,
    maxLifetimeMs: config.maxCommandLifetimeMs,
    resolve: (cmd: Command) => {
      const device = devices.get(cmd.target.device_id);
      if (!device) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_DEVICE', `device ${cmd.target.device_id} is not configured in the commander`, { device: cmd.target.device_id });
      if (!cmd.action.startsWith('modbus.')) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `device ${device.id} is a Modbus device; action ${cmd.action} does not apply`);
      const connection = shared.get(device.id);
      const prepared = prepareModbusWrite(cmd, device.registerMap, () => connection!); // validates: throws refusals
      if (device.session === 'exclusive') return { kind: 'route', to: config.topics.deviceCommands };
      return { kind: 'execute', action: prepared };
    },
  });

  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? 'busbar-commander' }, logger);
  const producer: Producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const results = new RecordPublisher(producer, config.topics.commandResults, commandResultSerde, metrics);
  const routed = new RecordPublisher(producer, config.topics.deviceCommands, commandSerde, metrics);

  // Rebuild the memory of answered ids.
  const since = Date.now() - config.maxCommandLifetimeMs;
  const remembered = await readTopicToEnd({ kafka, topic: config.topics.commandResults, decoder: commandResultSerde, sinceMs: since, logger }, (r) => {
    executor.remember(r.command_id, Date.now() + config.maxCommandLifetimeMs);
  });
  logger.info({ remembered }, 'command ids already answered were loaded from the results topic');

  const consumer = new DecodingConsumer<Command>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.commands,
    decoder: commandSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    logger,
    metrics,
    handle: async (records) => {
      // one at a time, in order: a command's result is published before the next command runs
      for (const r of records) {
        const handled = await executor.handle(r.value);
        if (handled.kind === 'result') {
          const res: CommandResultInput = handled.result;
          await results.publish([{ key: res.device_id, value: res }]);
        } else if (handled.kind === 'routed') {
          await routed.publish([{ key: r.value.target.device_id, value: r.value }]);
        }
      }
    },
  });
  await consumer.start();
  logger.info({ devices: [...devices.keys()] }, 'commander running');
  return {
    health: () => ({ ok: true, details: { devices: devices.size } }),
    stop: async () => {
      await consumer.stop();
      await Promise.all([...shared.values()].map((c) => c.close()));
      await producer.disconnect();
    },
  };
}
