import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../src/index.js';

function write(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('collector-modbus > config', () => {
  it('resolves mapFile relative to the configuration file and defaults the session by transport', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-modbus-cfg-'));
    write(dir, 'psu.map.json', JSON.stringify({ points: [{ name: 'voltage_v', type: 'input', address: 0, dataType: 'float32' }] }));
    const file = write(dir, 'collector.yaml', [
      'kafka: { brokers: ["127.0.0.1:9092"] }',
      'devices:',
      '  - { id: psu-1, connection: { kind: tcp, host: 127.0.0.1 }, mapFile: psu.map.json }',
      '  - { id: load-3, connection: { kind: rtu, path: /dev/ttyUSB0 }, unitId: 3, mapFile: psu.map.json }',
    ].join('\n'));
    const cfg = loadCollectorConfig(file, {});
    expect(cfg.devices.map((d) => [d.id, d.session, d.connection.kind === 'tcp' ? d.connection.port : d.connection.baudRate])).toEqual([['psu-1', 'shared', 502], ['load-3', 'exclusive', 9600]]);
    expect(cfg.devices[0]!.registerMap.points[0]).toMatchObject({ name: 'voltage_v', byteOrder: 'big', scale: 1 });
    expect(cfg.topics.readings).toBe('busbar.readings.v1');
  });

  it('names the bad field: connection, duplicate id, map point, missing map file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-modbus-cfg-'));
    const bad = write(dir, 'bad.yaml', [
      'kafka: { brokers: ["nohostport"] }',
      'devices:',
      '  - { id: a, connection: { kind: tcp, host: h, port: 70000 }, map: { points: [ { name: v, type: input, address: 0, dataType: float32 } ] } }',
      '  - { id: a, connection: { kind: tcp, host: h }, map: { points: [ { name: v, type: input, address: 0, dataType: float32 } ] } }',
    ].join('\n'));
    expect(() => loadCollectorConfig(bad, {})).toThrow(/kafka\.brokers\[0\]: must be host:port[\s\S]*devices\[id=a\]\.connection\.port[\s\S]*devices\[id=a\]\.id: duplicate device id a/);
    const badMap = write(dir, 'badmap.yaml', 'kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, connection: { kind: tcp, host: h }, map: { points: [ { name: v, type: input, address: 70000, dataType: float32 } ] } }\n');
    expect(() => loadCollectorConfig(badMap, {})).toThrow(/devices\[id=a\]\.map\.points\[0\]\.address: must be 0\.\.65535/);
    const missing = write(dir, 'missing.yaml', 'kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, connection: { kind: tcp, host: h }, mapFile: nope.json }\n');
    expect(() => loadCollectorConfig(missing, {})).toThrow(/devices\[id=a\]\.mapFile: cannot read .*nope\.json/);
  });
});

describe('collector-modbus > config > devicesFile (the device file shared with the commander)', () => {
  it('reads the devices from devicesFile, resolving mapFile relative to the device file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-modbus-cfg-'));
    const sub = join(dir, 'devices');
    mkdirSync(sub);
    write(sub, 'psu.map.json', JSON.stringify({ points: [{ name: 'voltage_v', type: 'input', address: 0, dataType: 'float32' }] }));
    write(sub, 'modbus-devices.yaml', 'devices:\n  - { id: psu-1, connection: { kind: tcp, host: 127.0.0.1 }, mapFile: psu.map.json }\n');
    const file = write(dir, 'collector.yaml', 'kafka: { brokers: ["127.0.0.1:9092"] }\ndevicesFile: devices/modbus-devices.yaml\n');
    const cfg = loadCollectorConfig(file, {});
    expect(cfg.devices.map((d) => [d.id, d.session])).toEqual([['psu-1', 'shared']]);
    expect(cfg.devices[0]!.registerMap.points[0]).toMatchObject({ name: 'voltage_v' });
  });

  it('names the device file and the field at fault; refuses both or neither of devices/devicesFile and unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-modbus-cfg-'));
    write(dir, 'bad-devices.yaml', 'devices:\n  - { id: a, connection: { kind: tcp, host: h, port: 70000 }, map: { points: [] } }\n');
    const bad = write(dir, 'c1.yaml', 'kafka: { brokers: ["k:1"] }\ndevicesFile: bad-devices.yaml\n');
    expect(() => loadCollectorConfig(bad, {})).toThrow(/devicesFile .*bad-devices\.yaml:\s+devices\[id=a\]\.connection\.port/);
    const neither = write(dir, 'c2.yaml', 'kafka: { brokers: ["k:1"] }\n');
    expect(() => loadCollectorConfig(neither, {})).toThrow(/give exactly one of devices \(inline\) or devicesFile/);
    const missing = write(dir, 'c3.yaml', 'kafka: { brokers: ["k:1"] }\ndevicesFile: nope.yaml\n');
    expect(() => loadCollectorConfig(missing, {})).toThrow(/devicesFile: cannot read .*nope\.yaml/);
    const typo = write(dir, 'c4.yaml', 'kafka: { brokers: ["k:1"] }\ndevicesFile: bad-devices.yaml\ntopic: { readings: x }\n');
    expect(() => loadCollectorConfig(typo, {})).toThrow(/topic/);
  });
});
