import { describe, expect, it } from 'vitest';
import { deviceClassOf, modbusDeviceSchema } from '../src/device-config.js';

describe('modules > modbus > device-config > deviceClassOf', () => {
  it.each([
    [{ id: 'psu-1', deviceClass: 'bms' }, 'bms'],
    [{ id: 'psu-1', mapFile: 'maps/power-supply.map.json' }, 'power-supply'],
    [{ id: 'psu-1', mapFile: '../maps/power-supply.yaml' }, 'power-supply'],
    [{ id: 'psu-1', mapFile: 'C:\\maps\\Load Bank.YML' }, 'Load-Bank'],
    [{ id: 'psu-1', mapFile: 'maps/.json' }, 'psu-1'],
    [{ id: 'psu-1' }, 'psu-1'],
    [{ id: 'psu-1', mapFile: 'maps/power-supply.yaml', deviceClass: 'pcs' }, 'pcs'],
  ])('%o → %s', (device, expected) => {
    expect(deviceClassOf(device)).toBe(expected);
  });

  it('refuses a deviceClass that cannot be a record_type sub-kind, naming the field', () => {
    const r = modbusDeviceSchema.safeParse({ id: 'a', connection: { kind: 'tcp', host: 'h' }, mapFile: 'm.yaml', deviceClass: 'power supply' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['deviceClass']);
  });
});
