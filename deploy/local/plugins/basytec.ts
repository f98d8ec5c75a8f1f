/**
 * Device plugin: a simulated BaSyTec test system (`startBasytecSimulator` of @busbar/driver-basytec
 * writing a growing Resultfile into an export directory of the run, one row per second, and the
 * RCI simulator answering the invented example templates on an ephemeral port), read by one
 * `collector-basytec` process that tails the export directory and owns the RCI connection; the
 * commander validates the `basytec.*` commands (allowed plans) and routes them to it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PLAN, EXAMPLE_RCI_TEMPLATES, startBasytecSimulator, startRciSimulator } from '@busbar/driver-basytec';
import type { BasytecSimulator, RciSimulator } from '@busbar/driver-basytec';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** Options of {@link basytecTesters}. */
export interface BasytecPluginOptions {
  /** Folder of the export directory and the cursor file (inside the run directory). */
  readonly dir: string;
  /** Poll interval, ms. @default 1000 */
  readonly pollIntervalMs?: number;
}

/** The simulators of `basytec-1`. */
export interface BasytecTesters {
  readonly software: BasytecSimulator;
  readonly rci: RciSimulator;
}

/** A plugin starting one BaSyTec simulator (`basytec-1`, test `demo_cell` on channel 3) and one `collector-basytec` process. */
export function basytecTesters(options: BasytecPluginOptions): DevicePlugin<BasytecTesters> {
  return {
    name: 'basytec',
    async start(): Promise<StartedDevices<BasytecTesters>> {
      const dir = resolve(options.dir);
      const exportDir = join(dir, 'export');
      mkdirSync(exportDir, { recursive: true });
      const d = new Date();
      const start = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
      const [software, rci] = await Promise.all([
        startBasytecSimulator({ rowsPerSecond: 1, test: { plan: DEFAULT_PLAN, cycles: Infinity, sample_s: 1 }, resultfile: { dir: exportDir, fileName: 'demo_cell.txt', format: { testName: 'demo_cell', channel: '0001 CH03 DEMO', plan: 'capacity.pln', start } } }),
        startRciSimulator({ templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln', 'pulse.pln'] }),
      ]);
      const devices = [{
        id: 'basytec-1', timeZone: 'UTC', timestampSource: 'elapsed', pollIntervalMs: options.pollIntervalMs ?? 1000,
        cursorFile: join(dir, 'basytec-1.cursors.json'), resultFiles: { dir: exportDir },
        rci: { host: rci.host, port: rci.port, templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'] },
      }];
      return {
        plugin: 'basytec',
        simulators: { software, rci },
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-basytec', entry: 'services/collectors/basytec/dist/main.js', config: { ...common, instanceId: 'local-collector-basytec', devicesFile: 'basytec-devices.yaml' } },
        ],
        deviceFiles: () => ({ 'basytec-devices.yaml': devices }),
        commander: () => ({ basytec: { devicesFile: 'basytec-devices.yaml' } }),
        describe: () => [`basytec-1  BaSyTec test system: Resultfile export ${exportDir} (test demo_cell, channel 3, 1 row/s), RCI at ${rci.host}:${rci.port} (plans capacity.pln)`],
        close: async () => {
          await software.stop();
          await rci.close();
        },
      };
    },
  };
}
