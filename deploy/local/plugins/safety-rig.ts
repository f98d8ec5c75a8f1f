/**
 * Device plugin: a simulated battery safety rig `rig-1` (packages/modules/safety-rig, README "Demo"):
 * - the BMS: the python-can + cantools simulator (packages/drivers/can/peers/bms_sim.py) publishing the
 *   PDOs of BMUs 1 and 2 every 100 ms on a socketcand server of @busbar/driver-can (loopback TCP);
 * - the PCS: the pymodbus 3.16 RTU server of the rig's map (unit 2, 19200 8N1) on one end of a socat
 *   pty pair (battery 378.4 V, DC-link −1.5 kW);
 * - the Arduino I/O board: the sketch simulator of @busbar/driver-arduino-io on another pty pair
 *   (thermistor counts 838/830: about 25 °C with the example's 10 kΩ NTC table and 2.2 kΩ series resistor);
 * read by one `collector-safety-rig` process that owns the three links and runs the interlock (the
 * example rule table of packages/modules/safety-rig/examples/interlock.original.yaml with BMUs 1-2
 * and a 500 ms relay delay); the commander validates the `rig.*` commands and routes them to it.
 * The Python peers come from the peers venv (scripts/peers/setup-venv.sh): see {@link peersPython}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { openPtyPair, startSketchSimulator } from '@busbar/driver-arduino-io';
import type { PtyPair, SketchSimulator } from '@busbar/driver-arduino-io';
import { startSocketcandServer } from '@busbar/driver-can';
import type { SocketcandServer } from '@busbar/driver-can';
import { startBmsPeer, startPcsPeer } from '../rig-peers.js';
import type { BmsPeer, PcsPeer } from '../rig-peers.js';
import { REPO_ROOT } from '../stack.js';
import type { CommonConfig, DevicePlugin, ServiceSpec, StartedDevices } from '../stack.js';

/** The rig's device id. */
export const RIG_DEVICE = 'rig-1';
/** PCS register of the operating mode, xlsx numbering (safety-rig reference §4.2): 0 = off. */
export const PCS_OP_MODE = 41026;
/** The Arduino pins of relay1, relay2, relay3 (the example's `outputs`). */
export const RELAY_PINS: Readonly<Record<string, number>> = { relay1: 5, relay2: 3, relay3: 4 };
/** The BMUs the BMS simulator publishes (and the interlock watches). */
const BMUS = [1, 2];
const EXAMPLES = join(REPO_ROOT, 'packages/modules/safety-rig/examples');

/** The rig's peers and simulators, for the scenario. */
export interface SafetyRig {
  /** python-can BMS simulator: `set 1 CMA_Max_Temp 60`, `stop 1`, `start 1`. */
  readonly bms: BmsPeer;
  /** pymodbus RTU PCS: `written(address)` = every raw value FC 06 wrote there. */
  readonly pcs: PcsPeer;
  /** The Arduino sketch simulator (pin levels as written). */
  readonly sketch: SketchSimulator;
}

/** Options of {@link safetyRig}. */
export interface SafetyRigPluginOptions {
  /** PCS status poll and reading interval, ms. @default 500 */
  readonly pollIntervalMs?: number;
}

/** The device file entry: the shipped example with this run's links and a quicker interlock. */
function rigDevice(can: SocketcandServer, pcsPty: PtyPair, ioPty: PtyPair, pollIntervalMs: number): Record<string, unknown> {
  const interlock = parseYaml(readFileSync(join(EXAMPLES, 'interlock.original.yaml'), 'utf8')) as { inputs: { bmu: { nodes: number[] } }; actions: { dangerous: { relayOpenDelayMs: number } } };
  interlock.inputs.bmu.nodes = BMUS;
  interlock.actions.dangerous.relayOpenDelayMs = 500;
  const { devices } = parseYaml(readFileSync(join(EXAMPLES, 'safety-rig-devices.yaml'), 'utf8')) as { devices: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const rig = devices[0]!;
  rig.id = RIG_DEVICE;
  rig.pollIntervalMs = pollIntervalMs;
  // the DBC stays where the example keeps it (an absolute path: the device file is written elsewhere)
  rig.can = { ...rig.can, socketcand: { host: can.host, port: can.port, bus: 'can0' }, dbcFile: join(EXAMPLES, 'busbar_safety_rig_bmu.dbc'), readingIntervalMs: pollIntervalMs };
  delete rig.can.syncPeriodMs;
  rig.pcs = { ...rig.pcs, connection: { path: pcsPty.b, baudRate: 19200 } };
  // the sketch simulator runs in the demo's process: a wider gap than the sketch's 1 s read keeps two commands apart when its timers lag
  rig.arduino = { ...rig.arduino, path: ioPty.b, commandGapMs: 1600 };
  delete rig.interlockFile;
  rig.interlock = interlock;
  rig.schedules = {};
  return rig;
}

/**
 * A plugin starting the simulated rig `rig-1` (socketcand server + python-can BMS, pymodbus RTU PCS,
 * sketch simulator) and one `collector-safety-rig` process.
 *
 * @throws Error from `start()` when the peers' Python is missing (check {@link peersPython} first) or a peer does not come up.
 */
export function safetyRig(options: SafetyRigPluginOptions = {}): DevicePlugin<SafetyRig> {
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  return {
    name: 'safety rig',
    async start(): Promise<StartedDevices<SafetyRig>> {
      const [can, pcsPty, ioPty] = await Promise.all([startSocketcandServer(), openPtyPair(), openPtyPair()]);
      const [bms, pcs, sketch] = await Promise.all([
        startBmsPeer(can.port, BMUS, 0.1),
        startPcsPeer(pcsPty.a, [{ address: 30263, value: 378.4, countsPer: 32.767 }, { address: 30266, value: -1.5, countsPer: 218.44 }]),
        startSketchSimulator({ path: ioPty.a, intervalMs: 500, analog: { temperature1Counts: 838, temperature2Counts: 830, pressureCounts: 300 } }),
      ]);
      const device = rigDevice(can, pcsPty, ioPty, pollIntervalMs);
      return {
        plugin: 'safety rig',
        simulators: { bms, pcs, sketch },
        collectors: (common: CommonConfig): ServiceSpec[] => [
          { name: 'collector-safety-rig', entry: 'services/collectors/safety-rig/dist/main.js', config: { ...common, instanceId: 'local-collector-safety-rig', devicesFile: 'rig-devices.yaml' } },
        ],
        deviceFiles: () => ({ 'rig-devices.yaml': [device] }),
        commander: () => ({ rig: { devicesFile: 'rig-devices.yaml' } }),
        describe: () => [
          `${RIG_DEVICE}  battery safety rig: BMS (python-can simulator, BMUs ${BMUS.join(',')}) on socketcand ${can.host}:${can.port} can0, `
          + `PCS (pymodbus RTU, unit 2) on ${pcsPty.b}, Arduino (sketch simulator) on ${ioPty.b}; interlock from interlock.original.yaml`,
        ],
        close: async () => {
          await Promise.allSettled([bms.stop(), pcs.stop(), sketch.close()]);
          await Promise.allSettled([can.close(), pcsPty.close(), ioPty.close()]);
        },
      };
    },
  };
}
