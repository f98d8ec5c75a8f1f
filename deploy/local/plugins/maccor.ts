/**
 * Device plugin: a simulated Maccor tester (`startMaccorSimulator` of @busbar/driver-maccor-macnet,
 * JSON on an ephemeral port, ~30 ms service time like a real tester), read by one `collector-maccor`
 * process that owns the tester's connection and executes every `maccor.*` command; the commander
 * validates them and routes them to it (exclusive session, see packages/modules/maccor).
 * Channels 1-2 are set up for direct control (envelope, 2 s set-point watchdog, the simulated tester's
 * 10 s MacNetDirectModeWD); channels 3..n declare VAR1 (0..1 A) for `maccor.set_variable`.
 */
import { startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { MaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** Options of {@link maccorTesters}. */
export interface MaccorPluginOptions {
  /** Channels of the simulated tester. @default 8 */
  readonly channels?: number;
  /** Poll interval, ms. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Simulator service time per request, ms. @default 30 */
  readonly serviceTimeMs?: number;
}

/** The simulators by device id. */
export type MaccorTesters = ReadonlyMap<string, MaccorSimulator>;

const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };
/** The only test variable `maccor.set_variable` may set (on channels 3..n): VAR1, 0..1 A (the demo sets 0.5 on channel 3). */
const VARIABLES = [{ var_num: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 1 }];

/** A plugin starting one Maccor simulator (`maccor-1`) and one `collector-maccor` process. */
export function maccorTesters(options: MaccorPluginOptions = {}): DevicePlugin<MaccorTesters> {
  const channels = options.channels ?? 8;
  return {
    name: 'maccor macnet',
    async start(): Promise<StartedDevices<MaccorTesters>> {
      const sim = await startMaccorSimulator({ port: 0, channels, seed: 1, serviceTimeMs: options.serviceTimeMs ?? 30, directModeWatchdogS: 10 });
      const sims = new Map([['maccor-1', sim]]);
      const devices = [{
        id: 'maccor-1', host: sim.host, jsonPort: sim.port, channels, pollIntervalMs: options.pollIntervalMs ?? 1000, requestCostMs: Math.max(1, options.serviceTimeMs ?? 30),
        directControl: { watchdogMs: 2000, testerWatchdogS: 10 },
        channelSettings: { '1-2': { safety: SAFETY, envelope: ENVELOPE }, [`3-${channels}`]: { safety: SAFETY, variables: VARIABLES } },
      }];
      return {
        plugin: 'maccor macnet',
        simulators: sims,
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-maccor', entry: 'services/collectors/maccor/dist/main.js', config: { ...common, instanceId: 'local-collector-maccor', devicesFile: 'maccor-devices.yaml' } },
        ],
        // one device file, read by the collector and the commander alike
        deviceFiles: () => ({ 'maccor-devices.yaml': devices }),
        commander: () => ({ maccor: { devicesFile: 'maccor-devices.yaml' } }),
        describe: () => [`maccor-1  Maccor MacNet tester (${channels} channels) at ${sim.host}:${sim.port}, polled every ${options.pollIntervalMs ?? 1000} ms; direct control on channels 1-2 (2 s set-point watchdog)`],
        close: async () => {
          await sim.close();
        },
      };
    },
  };
}
