/**
 * Outcomes the client decides before any I/O (no socket is opened here): refusals by validation and
 * requests made while not connected are `not_sent`.
 */
import { describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../../src/client/modbus-client.js';
import { POWER_SUPPLY_MAP } from '../../src/simulator/power-supply.js';

function client(): ModbusDeviceClient {
  return new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port: 502 }, unitId: 1, map: POWER_SUPPLY_MAP });
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('Drivers > Modbus > client > outcome before sending', () => {
  it('a write refused by validation → outcome not_sent', async () => {
    const c = client();
    expect(await caught(c.write('voltage_setpoint_v', 100))).toMatchObject({ code: 'BB_MODBUS_WRITE_OUT_OF_RANGE', outcome: 'not_sent' });
    expect(await caught(c.write('voltage_v', 1))).toMatchObject({ code: 'BB_MODBUS_NOT_WRITABLE', outcome: 'not_sent' });
    expect(await caught(c.write('nope', 1))).toMatchObject({ code: 'BB_MODBUS_UNKNOWN_POINT', outcome: 'not_sent' });
  });

  it('a valid write while never connected → BB_MODBUS_CONNECTION with outcome not_sent', async () => {
    const c = client();
    const err = await caught(c.write('voltage_setpoint_v', 5));
    expect(err).toMatchObject({ code: 'BB_MODBUS_CONNECTION', retriable: true, outcome: 'not_sent', message: 'not connected to 127.0.0.1:502/1' });
    expect(await caught(c.write('remote_sense_enabled', true))).toMatchObject({ code: 'BB_MODBUS_CONNECTION', outcome: 'not_sent' });
  });
});
