/**
 * Device plugin: simulated Modbus TCP power supplies (`startPowerSupplySimulator` of
 * @busbar/driver-modbus, register map `POWER_SUPPLY_MAP`), one simulator per device, read by one
 * Modbus collector process; the commander may write to every one of them (same device list).
 */
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** Options of {@link modbusPowerSupplies}. */
export interface ModbusPowerSupplyOptions {
  /** Number of simulated supplies (ids `psu-1`, `psu-2`...). @default 1 */
  readonly devices?: number;
  /** Poll interval of each device, ms. @default 500 */
  readonly pollIntervalMs?: number;
  /** Per-request timeout, ms. @default 500 */
  readonly timeoutMs?: number;
  /** Model step of the simulators, ms. @default 100 */
  readonly tickMs?: number;
}

/** The simulators by device id. */
export type PowerSupplies = ReadonlyMap<string, PowerSupplySimulator>;

/** A plugin starting `devices` power-supply simulators and one `collector-modbus` process. */
export function modbusPowerSupplies(options: ModbusPowerSupplyOptions = {}): DevicePlugin<PowerSupplies> {
  const n = options.devices ?? 1;
  return {
    name: 'modbus power supply',
    async start(): Promise<StartedDevices<PowerSupplies>> {
      const sims = new Map<string, PowerSupplySimulator>();
      try {
        for (let i = 1; i <= n; i++) sims.set(`psu-${i}`, await startPowerSupplySimulator({ seed: i, tickMs: options.tickMs ?? 100 }));
      } catch (err) {
        await Promise.allSettled([...sims.values()].map((s) => s.close()));
        throw err;
      }
      const devices = [...sims].map(([id, sim]) => ({
        id,
        connection: { kind: 'tcp', host: sim.host, port: sim.port },
        unitId: sim.unitId,
        pollIntervalMs: options.pollIntervalMs ?? 500,
        timeoutMs: options.timeoutMs ?? 500,
        map: { points: POWER_SUPPLY_MAP.points },
        deviceClass: 'power-supply', // measurement modbus:power-supply (docs/data-model.md)
      }));
      return {
        plugin: 'modbus power supply',
        simulators: sims,
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-modbus', entry: 'services/collectors/modbus/dist/main.js', config: { ...common, instanceId: 'local-collector-modbus', devicesFile: 'modbus-devices.yaml' } },
        ],
        // one device file, read by the collector and the commander alike
        deviceFiles: () => ({ 'modbus-devices.yaml': devices }),
        commander: () => ({ modbus: { devicesFile: 'modbus-devices.yaml' } }),
        describe: () => [...sims].map(([id, sim]) => `${id}  Modbus TCP power supply at ${sim.host}:${sim.port} (unit ${sim.unitId}), polled every ${options.pollIntervalMs ?? 500} ms`),
        close: async () => {
          await Promise.allSettled([...sims.values()].map((s) => s.close()));
        },
      };
    },
  };
}
