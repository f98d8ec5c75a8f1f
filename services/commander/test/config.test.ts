import { describe, expect, it } from 'vitest';
import { commanderConfigSchema } from '../src/index.js';

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

  it('takes the execution journal path, defaults it (state/<groupId>.journal.sqlite at start) and refuses unknown keys', () => {
    const base = { kafka: { brokers: ['127.0.0.1:9092'] }, modbus: { devices: [modbusDevice('psu-1')] } };
    expect(commanderConfigSchema.parse(base).journal).toEqual({});
    expect(commanderConfigSchema.parse({ ...base, journal: { path: '/var/lib/busbar/commander.journal.sqlite' } }).journal.path).toBe('/var/lib/busbar/commander.journal.sqlite');
    const r = commanderConfigSchema.safeParse({ ...base, journal: { file: 'x' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['journal']);
  });
});
