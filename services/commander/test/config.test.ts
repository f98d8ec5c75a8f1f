import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commanderConfigSchema } from '../src/index.js';
import { loadCommanderConfig } from '../src/config.js';

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
    expect(() => loadCommanderConfig(join(dir, 'bad.yaml'), {})).toThrow(/basytec\.devices\.0\.rci\.plans/);
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
});
