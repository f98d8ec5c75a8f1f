import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commanderConfigSchema, loadCommanderConfig } from '../src/index.js';

const RIG_EXAMPLES = fileURLToPath(new URL('../../../packages/modules/safety-rig/examples/', import.meta.url));

const modbusDevice = (id: string) => ({ id, connection: { kind: 'tcp', host: '127.0.0.1', port: 1502 }, map: { points: [{ name: 'voltage_setpoint_v', type: 'holding', address: 0, dataType: 'float32', writable: { min: 0, max: 60 } }] } });

describe('commander > config', () => {
  it('refuses one device id under two entries or two protocols, naming the field', () => {
    const r = commanderConfigSchema.safeParse({ kafka: { brokers: ['127.0.0.1:9092'] }, modbus: { devices: [modbusDevice('psu-1'), modbusDevice('psu-2')] }, corus: { devices: [{ id: 'psu-2', connection: { kind: 'tcp', host: '127.0.0.1', port: 1 }, mapFile: 'x.json' }] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['corus.devices.0.id: device id psu-2 is also configured under modbus']);
  });

  it('accepts distinct ids and defaults the command lifetime to one hour', () => {
    const c = commanderConfigSchema.parse({ kafka: { brokers: ['127.0.0.1:9092'] }, modbus: { devices: [modbusDevice('psu-1'), modbusDevice('psu-2')] } });
    expect(c.maxCommandLifetimeMs).toBe(3_600_000);
    expect(c.modbus?.devices?.map((d) => d.id)).toEqual(['psu-1', 'psu-2']);
  });
});

describe('commander > config > rig', () => {
  it('reads the rig device file the rig collector reads (the rig. prefix names its fields)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-commander-rig-'));
    for (const f of ['safety-rig-devices.yaml', 'interlock.original.yaml', 'busbar_safety_rig_bmu.dbc', 'characterization.csv']) copyFileSync(join(RIG_EXAMPLES, f), join(dir, f));
    writeFileSync(join(dir, 'commander.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\nrig: { devicesFile: safety-rig-devices.yaml }\n');
    const c = loadCommanderConfig(join(dir, 'commander.yaml'), {});
    expect(c.rig?.devices.map((d) => [d.id, d.interlockConfig.envelope.currentA.max])).toEqual([['rig-a', 100]]);
    writeFileSync(join(dir, 'bad.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\nrig: { devicesFile: nope.yaml }\n');
    expect(() => loadCommanderConfig(join(dir, 'bad.yaml'), {})).toThrow(/rig\.devicesFile: cannot read/);
  });
});
