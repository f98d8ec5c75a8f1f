import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../src/index.js';

const EXAMPLES = fileURLToPath(new URL('../../../../packages/modules/safety-rig/examples/', import.meta.url));
const FILES = ['safety-rig-devices.yaml', 'interlock.original.yaml', 'busbar_safety_rig_bmu.dbc', 'characterization.csv'];

/** The module's example files in a fresh folder, with `edit` applied to the device file. */
function examples(edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-rig-cfg-'));
  for (const f of FILES) copyFileSync(join(EXAMPLES, f), join(dir, f));
  const devices = join(dir, 'safety-rig-devices.yaml');
  writeFileSync(devices, edit(readFileSync(devices, 'utf8')));
  writeFileSync(join(dir, 'collector.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\ndevicesFile: safety-rig-devices.yaml\n');
  return join(dir, 'collector.yaml');
}

describe('collector-safety-rig > config', () => {
  it('loads the example rig: DBC, PCS map, Arduino configuration, interlock and schedule read and checked', () => {
    const cfg = loadCollectorConfig(examples(), {});
    const rig = cfg.devices[0]!;
    expect(rig.id).toBe('rig-a');
    expect(rig.dbc.messages.some((m) => m.name === 'BMU01_pdo1')).toBe(true);
    expect(rig.pcsProfile.opModeCodes).toEqual({ off: 0, current: 2, power: 1, voltage: 4 });
    expect([...rig.arduinoConfig.outputPins]).toEqual([6, 7, 5, 3, 4]);
    expect(rig.interlockConfig.rules).toHaveLength(7);
    expect(rig.namedSchedules.get('characterization')!.schedule.steps.map((s) => s.setpoint.value)).toEqual([-20, 0, 20]);
    expect(cfg.ops.port).toBe(9475);
  });

  it.each<[string, (t: string) => string, RegExp]>([
    ['a heartbeat that bypasses the watchdog (D7)', (t) => t.replace('timeoutS: 5, intervalMs: 1000', 'timeoutS: 33.3, intervalMs: 1000'), /pcs\.heartbeat: .*bypasses the PCS watchdog/],
    ['an output pin outside the whitelist', (t) => t.replace('relay3: 4 }', 'relay3: 9 }'), /arduino\.outputs\.relay3: pin 9 is not in arduino\.config\.outputPins/],
    ['an interlock output the rig does not have', (t) => t.replace('outputs: { pump: 6, fan: 7, relay1: 5, relay2: 3, relay3: 4 }', 'outputs: { pump: 6, fan: 7, relay1: 5, relay2: 3 }'), /interlock\.actions: output relay3 is not one of arduino\.outputs/],
    ['a missing DBC', (t) => t.replace('dbcFile: busbar_safety_rig_bmu.dbc', 'dbcFile: nope.dbc'), /can\.dbcFile: cannot read .*nope\.dbc/],
    ['a PCS map without its §4.3 choices', (t) => t.replace('        dcCurrentCountsPerA: 52.094\n', ''), /pcs\.map: .*dcCurrentCountsPerA/],
    ['both interlock and interlockFile', (t) => t.replace('    interlockFile: interlock.original.yaml', '    interlockFile: interlock.original.yaml\n    interlock: {}'), /devices\[id=rig-a\]\.interlock: give exactly one of interlock or interlockFile/],
    ['a cell count above 14', (t) => t.replace('cellCount: 12', 'cellCount: 15'), /devices\[id=rig-a\]\.can\.cellCount/],
  ])('refuses %s, naming the field', (_name, edit, message) => {
    expect(() => loadCollectorConfig(examples(edit), {})).toThrow(message);
  });

  it('refuses a schedule outside the envelope at load, naming its line', () => {
    const file = examples();
    writeFileSync(join(file, '..', 'characterization.csv'), 'Interval [s],Current [A]\n600,-20\n300,150\n');
    expect(() => loadCollectorConfig(file, {})).toThrow(/schedules\.characterization: schedule characterization\.csv line 3: current set-point 150 A is outside the envelope/);
  });
});
