import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CORUS_MAP } from '@busbar/driver-itron-corus';
import { commanderConfigSchema, loadCommanderConfig } from '../src/index.js';

const RIG_EXAMPLES = fileURLToPath(new URL('../../../packages/modules/safety-rig/examples/', import.meta.url));

const modbusDevice = (id: string) => ({ id, connection: { kind: 'tcp', host: '127.0.0.1', port: 1502 }, map: { points: [{ name: 'voltage_setpoint_v', type: 'holding', address: 0, dataType: 'float32', writable: { min: 0, max: 60 } }] } });

describe('commander > config', () => {
  it('reads the BaSyTec collector\'s device file in a basytec: section, paths relative to that file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-commander-basytec-'));
    writeFileSync(join(dir, 'basytec-devices.yaml'), [
      'devices:',
      '  - id: bt-1',
      '    timeZone: Europe/Berlin',
      '    resultFiles: { dir: export }',
      '    rci:',
      '      host: 10.0.0.9',
      '      port: 5025',
      '      plans: [capacity.pln]',
      '      templates:',
      '        start: { request: "START {channel} {plan}", success: "^OK START {channel}$" }',
      '        stop: { request: "STOP {channel}", success: "^OK STOP {channel}$" }',
      '        readState: { request: "STATE? {channel}", success: "^STATE {channel} (?<state>[a-z]+)$" }',
    ].join('\n'));
    writeFileSync(join(dir, 'commander.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\nbasytec: { devicesFile: basytec-devices.yaml }\n');
    const c = loadCommanderConfig(join(dir, 'commander.yaml'), {});
    expect(c.basytec?.devices.map((d) => [d.id, d.resultFiles?.dir, d.rci?.plans])).toEqual([['bt-1', join(dir, 'export'), ['capacity.pln']]]);
    writeFileSync(join(dir, 'bad.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\nbasytec: { devices: [{ id: bt-1, timeZone: UTC, resultFiles: { dir: x }, rci: { host: h, port: 1, plans: [], templates: {} } }] }\n');
    expect(() => loadCommanderConfig(join(dir, 'bad.yaml'), {})).toThrow(/basytec\.devices\[id=bt-1\]\.rci\.plans/);
  });

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

  it('takes the execution journal path, defaults it (state/<groupId>.journal.sqlite at start) and refuses unknown keys', () => {
    const base = { kafka: { brokers: ['127.0.0.1:9092'] }, modbus: { devices: [modbusDevice('psu-1')] } };
    expect(commanderConfigSchema.parse(base).journal).toEqual({});
    expect(commanderConfigSchema.parse({ ...base, journal: { path: '/var/lib/busbar/commander.journal.sqlite' } }).journal.path).toBe('/var/lib/busbar/commander.journal.sqlite');
    const r = commanderConfigSchema.safeParse({ ...base, journal: { file: 'x' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['journal']);
  });

  it('reads the Maccor testers from the Maccor collector\'s device file (maccor.devicesFile), and refuses an id another protocol has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-commander-maccor-'));
    writeFileSync(join(dir, 'maccor-devices.yaml'), 'devices:\n  - { id: mac-1, host: 10.0.0.7, channels: 4, channelSettings: { "1": { variables: [{ var_num: 1, name: charge_current_a, unit: A, min: 0, max: 1 }] } } }\n');
    writeFileSync(join(dir, 'commander.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\nmaccor: { devicesFile: maccor-devices.yaml }\n');
    const c = loadCommanderConfig(join(dir, 'commander.yaml'), {});
    expect(c.maccor?.devices).toMatchObject([{ id: 'mac-1', channels: 4, session: 'exclusive', jsonPort: 57570 }]);
    writeFileSync(join(dir, 'clash.yaml'), `kafka: { brokers: ["127.0.0.1:9092"] }\nmaccor: { devicesFile: maccor-devices.yaml }\nmodbus: { devices: [${JSON.stringify(modbusDevice('mac-1'))}] }\n`);
    expect(() => loadCommanderConfig(join(dir, 'clash.yaml'), {})).toThrow(/maccor: device id mac-1 is also configured under modbus/);
  });

  it('reads the Corus devices from the Corus collector\'s device file (map files relative to it), naming a bad entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'commander-corus-'));
    mkdirSync(join(dir, 'devices'));
    writeFileSync(join(dir, 'devices', 'corus.map.json'), JSON.stringify(EXAMPLE_CORUS_MAP));
    writeFileSync(join(dir, 'devices', 'corus-devices.yaml'), ['devices:', '  - { id: corus-1, connection: { kind: tcp, host: 127.0.0.1, port: 4001 }, mapFile: corus.map.json }'].join('\n'));
    const file = join(dir, 'commander.yaml');
    writeFileSync(file, ['kafka: { brokers: ["127.0.0.1:9092"] }', 'corus:', '  devicesFile: devices/corus-devices.yaml'].join('\n'));
    const c = loadCommanderConfig(file, {});
    expect(c.corus?.devices.map((d) => [d.id, d.corusMap.mapId, d.logNames])).toEqual([['corus-1', 'b0040', ['interval']]]);
    writeFileSync(join(dir, 'devices', 'corus-devices.yaml'), ['devices:', '  - { id: corus-1, connection: { kind: tcp, host: 127.0.0.1, port: 4001 }, mapFile: corus.map.json, pollParameters: [nope] }'].join('\n'));
    expect(() => loadCommanderConfig(file, {})).toThrow(/devices\[id=corus-1\]\.pollParameters\[0\]: "nope" is not a parameter of map b0040/);
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
