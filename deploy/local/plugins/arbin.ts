/**
 * Device plugin: a simulated Arbin cycler (`startArbinSimulator` of @busbar/driver-arbin-cti, CTI on
 * an ephemeral port, 8 channels whose schedule reads its charge current from MV_UD1), read by one
 * `collector-arbin` process that owns the CTI session and executes every `arbin.*` command; the
 * commander validates them and routes them to it (exclusive session, see packages/modules/arbin).
 *
 * Credentials: the collector reads `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD` from its environment.
 * This plugin gives them to `collector-arbin` only, through its `ServiceSpec.env`: the launcher's own
 * `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD` when set, else the demo values `busbar-demo` /
 * `busbar-demo`; the simulator accepts the same pair. `process.env` is not modified.
 */
import { startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator } from '@busbar/driver-arbin-cti';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** Options of {@link arbinCyclers}. */
export interface ArbinPluginOptions {
  /** Channels of the simulated cycler. @default 8 */
  readonly channels?: number;
  /** Poll interval, ms. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Simulated seconds per wall-clock second (a charge at 1 A of the 2 Ah cell takes ~1 h at 1). @default 20 */
  readonly timeScale?: number;
}

/** The simulators by device id. */
export type ArbinCyclers = ReadonlyMap<string, ArbinSimulator>;

/** Demo credentials used when the environment has none. */
const DEMO_USER = 'busbar-demo';
const DEMO_PASSWORD = 'busbar-demo';

/** A plugin starting one Arbin simulator (`arbin-1`) and one `collector-arbin` process. */
export function arbinCyclers(options: ArbinPluginOptions = {}): DevicePlugin<ArbinCyclers> {
  const channels = options.channels ?? 8;
  return {
    name: 'arbin cti',
    async start(): Promise<StartedDevices<ArbinCyclers>> {
      const credentials = { ARBIN_CTI_USERNAME: process.env.ARBIN_CTI_USERNAME || DEMO_USER, ARBIN_CTI_PASSWORD: process.env.ARBIN_CTI_PASSWORD || DEMO_PASSWORD };
      const sim = await startArbinSimulator({
        port: 0, channels, username: credentials.ARBIN_CTI_USERNAME, password: credentials.ARBIN_CTI_PASSWORD, tickMs: 100, timeScale: options.timeScale ?? 20, currentMv: 1, defaultCurrentA: 1,
      });
      const sims = new Map([['arbin-1', sim]]);
      const devices = [{
        id: 'arbin-1', host: sim.host, port: sim.port, channels: 'all', aux: true, pollIntervalMs: options.pollIntervalMs ?? 1000,
        metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 2 }],
        allowedSchedules: ['Busbar_CC.sdx'],
        maxStep: 4,
      }];
      return {
        plugin: 'arbin cti',
        simulators: sims,
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-arbin', entry: 'services/collectors/arbin/dist/main.js', config: { ...common, instanceId: 'local-collector-arbin', devicesFile: 'arbin-devices.yaml' }, env: credentials },
        ],
        // one device file, read by the collector and the commander alike
        deviceFiles: () => ({ 'arbin-devices.yaml': devices }),
        commander: () => ({ arbin: { devicesFile: 'arbin-devices.yaml' } }),
        describe: () => [`arbin-1  Arbin CTI cycler (${channels} channels, schedule Busbar_CC.sdx, charge current = MV_UD1 0..2 A) at ${sim.host}:${sim.port}, polled every ${options.pollIntervalMs ?? 1000} ms`],
        close: async () => {
          await sim.close();
        },
      };
    },
  };
}
