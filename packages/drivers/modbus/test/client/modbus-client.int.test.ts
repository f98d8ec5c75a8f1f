import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../../src/client/modbus-client.js';
import type { ModbusDeviceClientOptions } from '../../src/client/modbus-client.js';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '../../src/simulator/power-supply.js';
import type { PowerSupplySimulator } from '../../src/simulator/power-supply.js';
import { ModbusConfigError, ModbusConnectionError, ModbusExceptionError, ModbusTimeoutError, ModbusWriteRefusedError } from '../../src/errors.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function simulator(opts: Parameters<typeof startPowerSupplySimulator>[0] = {}): Promise<PowerSupplySimulator> {
  const sim = await startPowerSupplySimulator({ tickMs: 20, ...opts });
  cleanups.push(() => sim.close());
  return sim;
}
function client(port: number, extra: Partial<ModbusDeviceClientOptions> = {}): ModbusDeviceClient {
  const c = new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port }, unitId: 1, timeoutMs: 500, map: POWER_SUPPLY_MAP, ...extra });
  cleanups.push(() => c.close());
  return c;
}
async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('Drivers > Modbus > client (against the power-supply simulator)', () => {
  it('readAll reads every point in the planned blocks', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    expect(c.blocks.map((b) => [b.functionCode, b.start, b.count])).toEqual([[3, 0, 6], [4, 0, 8], [1, 0, 1], [2, 0, 1]]);
    const { values, durationMs } = await c.readAll();
    expect(durationMs).toBeGreaterThan(0);
    expect(Object.keys(values).sort()).toEqual(POWER_SUPPLY_MAP.points.map((p) => p.name).sort());
    expect(values).toMatchObject({ voltage_setpoint_v: 0, current_limit_a: 1, ovp_level_v: 66, output_enabled: false, interlock_closed: true, temperature_c: 25 });
  });

  it('writes within limits change the simulator state (float32, scaled uint16, coil, bit by read-modify-write)', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    await c.write('voltage_setpoint_v', 12.5);
    await c.write('current_limit_a', 3);
    await c.write('ovp_level_v', 30.2);
    await c.write('remote_sense_enabled', true);
    await c.write('ovp_enabled', 1);
    await c.write('remote_sense_enabled', false);
    const w = await c.write('output_enabled', true);
    expect(w.encoded.functionCode).toBe(5);
    expect(sim.state()).toMatchObject({ voltageSetpointV: 12.5, currentLimitA: 3, ovpLevelV: 30.2, ovpEnabled: true, remoteSenseEnabled: false, outputEnabled: true });
    await until(() => sim.state().voltageV > 12);
    const { values } = await c.readAll();
    expect(values.voltage_v as number).toBeGreaterThan(12);
    expect(values.status_output_on).toBe(true);
    expect(values.control_word).toBe(1);
  });

  it('refuses a write out of range before sending: simulator unchanged', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    await c.write('voltage_setpoint_v', 10);
    const before = sim.state();
    for (const [name, value, code] of [
      ['voltage_setpoint_v', 60.5, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
      ['current_limit_a', -1, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
      ['voltage_v', 1, 'BB_MODBUS_NOT_WRITABLE'],
      ['status_word', 1, 'BB_MODBUS_NOT_WRITABLE'],
      ['no_such_point', 1, 'BB_MODBUS_UNKNOWN_POINT'],
    ] as const) {
      const err = await caught(c.write(name, value));
      expect(err).toBeInstanceOf(ModbusWriteRefusedError);
      expect((err as ModbusWriteRefusedError).code).toBe(code);
      expect((err as ModbusWriteRefusedError).outcome).toBe('not_sent');
    }
    expect(sim.state()).toMatchObject({ voltageSetpointV: 10, writesAccepted: before.writesAccepted, writesRejected: before.writesRejected });
  });

  it('refuses writes even while disconnected (validation first)', async () => {
    const c = client(1);
    const err = await caught(c.write('voltage_setpoint_v', 100));
    expect((err as ModbusWriteRefusedError).code).toBe('BB_MODBUS_WRITE_OUT_OF_RANGE');
  });

  it('illegal data address → ModbusExceptionError with code 2', async () => {
    const sim = await simulator();
    const c = client(sim.port, { map: { points: [{ name: 'missing_v', type: 'holding', address: 100, dataType: 'float32' }] } });
    await c.connect();
    const err = await caught(c.readAll());
    expect(err).toBeInstanceOf(ModbusExceptionError);
    const ex = err as ModbusExceptionError;
    expect(ex).toMatchObject({ code: 'BB_MODBUS_EXCEPTION', functionCode: 3, address: 100, exceptionCode: 2, exceptionName: 'ILLEGAL DATA ADDRESS', retriable: false, outcome: 'refused' });
    expect(ex.context).toMatchObject({ unitId: 1, quantity: 2 });
    // The link stays usable after an exception.
    expect(c.connected).toBe(true);
  });

  it('a device-side refusal (interlock open) → exception 4 on the coil write', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    sim.forceInput('interlock_closed', false);
    const err = await caught(c.write('output_enabled', true));
    // exception 4 is SERVER DEVICE FAILURE ("while attempting to perform", spec §7): a device may have
    // acted, so the outcome is unknown (the simulator did not: its output stays off)
    expect(err).toMatchObject({ code: 'BB_MODBUS_EXCEPTION', functionCode: 5, address: 0, exceptionCode: 4, outcome: 'unknown' });
    expect(sim.state().outputEnabled).toBe(false);
  });

  it('timeout with a server that accepts and never answers → ModbusTimeoutError (retriable)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => { sockets.forEach((s) => s.destroy()); silent.close(r); }));
    const c = client((silent.address() as AddressInfo).port, { timeoutMs: 200 });
    await c.connect();
    const err = await caught(c.readAll());
    expect(err).toBeInstanceOf(ModbusTimeoutError);
    expect(err).toMatchObject({ code: 'BB_MODBUS_TIMEOUT', retriable: true, functionCode: 3, address: 0, outcome: 'unknown' });
    const write = await caught(c.write('voltage_setpoint_v', 5));
    expect(write).toMatchObject({ code: 'BB_MODBUS_TIMEOUT', functionCode: 16, outcome: 'unknown' });
    expect((write as Error).message).toMatch(/may have executed the write/);
    // a bit write by read-modify-write whose read times out: the write never left
    const rmw = await caught(c.write('remote_sense_enabled', true));
    expect(rmw).toMatchObject({ code: 'BB_MODBUS_TIMEOUT', functionCode: 3, outcome: 'not_sent' });
    expect((rmw as Error).message).not.toMatch(/may have executed/);
  });

  it('keeps none of the library\'s settled transactions (modbus-serial would hold 256 per connection): reads go on', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    for (let i = 0; i < 80; i++) await c.readAll(); // 320 requests: past the library's 256 transaction ids
    const lib = (c as unknown as { rtu: { _transactions: Record<number, unknown> } }).rtu;
    expect(Object.keys(lib._transactions)).toEqual([]);
    const { values } = await c.readAll();
    expect(values).toMatchObject({ current_limit_a: 1, interlock_closed: true });
  });

  it('serialises requests: concurrent reads and writes complete in order', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    const order: string[] = [];
    await Promise.all([
      c.readAll().then(() => order.push('read1')),
      c.write('voltage_setpoint_v', 5).then(() => order.push('write')),
      c.readAll().then((r) => order.push(`read2:${String(r.values.voltage_setpoint_v)}`)),
    ]);
    expect(order).toEqual(['read1', 'write', 'read2:5']);
  });

  it('connect to a closed port → ModbusConnectionError (retriable), and no attempt of its own follows', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = client(port);
    const err = await caught(c.connect());
    expect(err).toBeInstanceOf(ModbusConnectionError);
    expect((err as ModbusConnectionError).retriable).toBe(true);
    expect(c.connected).toBe(false);
  });

  it('simulator stopped → one disconnected event and fast not_sent failures, no reconnect of its own; connect() again once it is back', async () => {
    const sim = await startPowerSupplySimulator({ tickMs: 20 });
    const port = sim.port;
    const c = client(port);
    const events: string[] = [];
    c.on('connected', () => events.push('connected'));
    c.on('disconnected', () => events.push('disconnected'));
    await c.connect();
    await c.write('voltage_setpoint_v', 7);
    await sim.close();
    await until(() => events.includes('disconnected'));
    expect(c.connected).toBe(false);
    const down = await caught(c.readAll());
    expect(down).toMatchObject({ code: 'BB_MODBUS_CONNECTION', retriable: true, outcome: 'not_sent' });
    expect(await caught(c.write('voltage_setpoint_v', 8))).toMatchObject({ code: 'BB_MODBUS_CONNECTION', outcome: 'not_sent' });
    const sim2 = await simulator({ port });
    await new Promise((r) => setTimeout(r, 300));
    expect(c.connected).toBe(false); // the supervisor decides when to reconnect, not the client
    expect(events).toEqual(['connected', 'disconnected']);
    await c.connect();
    const { values } = await c.readAll();
    expect(values.voltage_setpoint_v).toBe(0); // a fresh device
    expect(sim2.port).toBe(port);
    expect(events).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('close() fails queued requests; connect() opens again', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.connect();
    await c.close();
    expect(c.connected).toBe(false);
    expect(await caught(c.readAll())).toMatchObject({ code: 'BB_MODBUS_CONNECTION' });
    await c.connect();
    expect((await c.readAll()).values.interlock_closed).toBe(true);
  });

  it('refuses bad options naming the field', () => {
    const bad: [Partial<ModbusDeviceClientOptions>, string][] = [
      [{ unitId: 300 }, 'unitId: must be an integer 0..255'],
      [{ connection: { kind: 'tcp', host: '127.0.0.1', port: 0 } }, 'connection.port: must be 1..65535'],
      [{ connection: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 }, unitId: 0 }, 'unitId: must be 1..247 on a serial line (Modbus over Serial Line V1.02 §2.2; 0 is broadcast)'],
      [{ map: { points: [{ name: 'x', type: 'holding', address: 70000, dataType: 'uint16' }] } }, 'map.points[0].address: must be 0..65535'],
    ];
    for (const [opts, msg] of bad) {
      let err: unknown;
      try {
        new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port: 502 }, unitId: 1, map: POWER_SUPPLY_MAP, ...opts });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModbusConfigError);
      expect((err as ModbusConfigError).issues).toContain(msg);
    }
  });
});
