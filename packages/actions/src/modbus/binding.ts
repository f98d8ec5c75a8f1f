/**
 * The commander's Modbus binding: `modbus.write` on configured devices. Shared-session devices
 * (Modbus TCP) are written over the commander's own connection, opened on first use and reopened
 * after a failure; exclusive-session devices (RTU, single-connection gateways) are routed to the
 * collector that owns them (docs/architecture.md "Single-session devices").
 */
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, noopLogger, noopMetrics } from '@busbar/core';
import { ModbusDeviceClient } from '@busbar/driver-modbus';
import type { ProtocolBinding } from '../binding.js';
import type { ResolvedModbusDevice } from './device-config.js';
import type { ModbusWriter } from './write-action.js';
import { prepareModbusWrite } from './write-action.js';

/** A lazily connected client for a shared-session device. */
class SharedModbusConnection implements ModbusWriter {
  private client: ModbusDeviceClient | undefined;
  constructor(private readonly device: ResolvedModbusDevice, private readonly logger: Logger, private readonly metrics: Metrics) {}

  /** @throws {BusbarError} `BB_COMMAND_DEVICE_UNAVAILABLE` when the device cannot be reached; the driver's errors otherwise. */
  async write(point: string, value: number | boolean): Promise<void> {
    if (!this.client) {
      const d = this.device;
      const c = new ModbusDeviceClient({ connection: d.connection, unitId: d.unitId, timeoutMs: d.timeoutMs, map: d.registerMap, logger: this.logger, metrics: this.metrics, deviceId: d.id, reconnect: { auto: false } });
      try {
        await c.connect();
      } catch (cause) {
        await c.close().catch(() => undefined);
        throw new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `device ${d.id} is not reachable: ${(cause as Error).message}`, { cause, retriable: true });
      }
      this.client = c;
    }
    try {
      await this.client.write(point, value);
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable) await this.close(); // reopen on the next command
      throw err;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}

/**
 * Creates the Modbus binding.
 *
 * @param routeTopic - topic of routed device commands (consumed by the owning collector).
 */
export function createModbusBinding(devices: readonly ResolvedModbusDevice[], routeTopic: string, deps: { logger?: Logger; metrics?: Metrics } = {}): ProtocolBinding {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const logger = deps.logger ?? noopLogger;
  const connections = new Map(devices.filter((d) => d.session === 'shared').map((d) => [d.id, new SharedModbusConnection(d, logger.child({ deviceId: d.id }), deps.metrics ?? noopMetrics)]));
  return {
    protocol: 'modbus',
    actionPrefix: 'modbus.',
    has: (id) => byId.has(id),
    resolve: (cmd) => {
      const device = byId.get(cmd.target.device_id)!;
      const prepared = prepareModbusWrite(cmd, device.registerMap, () => connections.get(device.id)!); // throws refusals
      return device.session === 'exclusive' ? { kind: 'route', to: routeTopic } : { kind: 'execute', action: prepared };
    },
    close: async () => {
      await Promise.all([...connections.values()].map((c) => c.close()));
    },
  };
}
