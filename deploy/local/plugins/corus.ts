/**
 * Device plugin: simulated Itron Corus gas volume converters (`startCorusSimulator` of
 * @busbar/driver-itron-corus, the example map `FL_b0040` with a 60 s interval log so records show
 * up during a demo), one simulator per device, read by one `collector-corus` process that owns
 * each device's single session; the commander validates `corus.*` commands and routes them to it.
 * The simulated clocks start at the current time (UTC) and advance with real time.
 */
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import type { CorusSimulator } from '@busbar/driver-itron-corus';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** Options of {@link corusConverters}. */
export interface CorusPluginOptions {
  /** Number of simulated converters (ids `corus-1`, `corus-2`...). @default 1 */
  readonly devices?: number;
  /** Parameter poll interval, ms. @default 5000 */
  readonly pollIntervalMs?: number;
  /** Interval log spacing of the simulators, s. @default 60 */
  readonly intervalS?: number;
  /** Records already in each simulator's log at start (backfilled by the collector). @default 120 */
  readonly historyRecords?: number;
}

/** The simulators by device id. */
export type CorusConverters = ReadonlyMap<string, CorusSimulator>;

/** A plugin starting `devices` Corus simulators and one `collector-corus` process. */
export function corusConverters(options: CorusPluginOptions = {}): DevicePlugin<CorusConverters> {
  const n = options.devices ?? 1;
  const intervalS = options.intervalS ?? 60;
  const base = EXAMPLE_CORUS_MAP.logs!.interval!;
  const map = { ...EXAMPLE_CORUS_MAP, logs: { interval: { ...base, intervalS } } };
  return {
    name: 'itron corus',
    async start(): Promise<StartedDevices<CorusConverters>> {
      const sims = new Map<string, CorusSimulator>();
      const startTime = new Date().toISOString().slice(0, 19);
      try {
        for (let i = 1; i <= n; i++) sims.set(`corus-${i}`, await startCorusSimulator({ map, seed: i, startTime, historyRecords: options.historyRecords ?? 120, inactivityMs: 120_000 }));
      } catch (err) {
        await Promise.allSettled([...sims.values()].map((s) => s.close()));
        throw err;
      }
      // the simulated clocks follow real time
      const tick = setInterval(() => {
        for (const s of sims.values()) s.advance(1);
      }, 1000);
      tick.unref();
      const devices = [...sims].map(([id, sim]) => ({
        id,
        connection: { kind: 'tcp', host: sim.host, port: sim.port },
        map,
        pollIntervalMs: options.pollIntervalMs ?? 5000,
        logChunkS: 3600,
        logs: { lookbackS: ((options.historyRecords ?? 120) + 1) * intervalS, intervalMs: 10_000, rescanS: 2 * intervalS },
      }));
      return {
        plugin: 'itron corus',
        simulators: sims,
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-corus', entry: 'services/collectors/corus/dist/main.js', config: { ...common, instanceId: 'local-collector-corus', stateDir: 'state/collector-corus', devices } },
        ],
        commander: () => ({ corus: { devices } }),
        describe: () => [...sims].map(([id, sim]) => `${id}  Itron Corus (IFLAG) at ${sim.host}:${sim.port}, map FL_b0040, parameters every ${options.pollIntervalMs ?? 5000} ms, interval log every ${intervalS} s`),
        close: async () => {
          clearInterval(tick);
          await Promise.allSettled([...sims.values()].map((s) => s.close()));
        },
      };
    },
  };
}
