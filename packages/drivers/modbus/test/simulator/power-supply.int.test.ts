import { readFileSync } from 'node:fs';
import modbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRegisterMap } from '../../src/codec/register-map.js';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '../../src/simulator/power-supply.js';
import type { PowerSupplySimulator } from '../../src/simulator/power-supply.js';

const RawClient = modbusSerial.default;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** A plain modbus-serial client: sends requests our client would refuse to build. */
async function raw(sim: PowerSupplySimulator, unitId = 1): Promise<InstanceType<typeof RawClient>> {
  const c = new RawClient();
  await c.connectTCP(sim.host, { port: sim.port });
  c.setID(unitId);
  c.setTimeout(300);
  cleanups.push(() => new Promise((r) => c.close(r)));
  return c;
}
async function exceptionOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
  } catch (e) {
    const err = e as { modbusCode?: number; errno?: string };
    return err.modbusCode ?? err.errno ?? 'other';
  }
  return 'none';
}

describe('Drivers > Modbus > simulator > power-supply', () => {
  it('examples/power-supply.map.json is POWER_SUPPLY_MAP', () => {
    const json: unknown = JSON.parse(readFileSync(new URL('../../examples/power-supply.map.json', import.meta.url), 'utf8'));
    expect(parseRegisterMap(json)).toEqual(POWER_SUPPLY_MAP);
  });

  it('answers like a strict device: bad addresses, quantities, partial float writes, out-of-range set-points', async () => {
    const sim = await startPowerSupplySimulator({ tickMs: 1000 });
    cleanups.push(() => sim.close());
    const c = await raw(sim);
    expect(await exceptionOf(c.readHoldingRegisters(5, 2))).toBe(2); // past the end
    expect(await exceptionOf(c.readInputRegisters(0, 126))).toBe(3); // quantity > 125 (spec §6.4)
    expect(await exceptionOf(c.readCoils(1, 1))).toBe(2);
    expect(await exceptionOf(c.readDiscreteInputs(3, 1))).toBe(2);
    expect(await exceptionOf(c.writeRegister(0, 0x4120))).toBe(2); // half a float32
    expect(await exceptionOf(c.writeRegisters(1, [0, 0]))).toBe(2); // straddles two float32s
    expect(await exceptionOf(c.writeRegisters(0, [0x4280, 0x0000]))).toBe(3); // 64 V > 60 V
    expect(await exceptionOf(c.writeRegister(4, 0x0004))).toBe(3); // reserved control bit
    expect(await exceptionOf(c.writeRegister(5, 661))).toBe(3); // OVP 66.1 V
    expect(sim.state()).toMatchObject({ voltageSetpointV: 0, ovpEnabled: false, ovpLevelV: 66, writesAccepted: 0, writesRejected: 5 });
    expect(await exceptionOf(c.writeRegisters(0, [0x4120, 0x0000]))).toBe('none'); // 10.0 V
    expect(sim.state().voltageSetpointV).toBe(10);
  });

  it('ignores other unit ids (no answer → the client times out)', async () => {
    const sim = await startPowerSupplySimulator({ unitId: 7 });
    cleanups.push(() => sim.close());
    const c = await raw(sim, 8);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe('ETIMEDOUT');
  });

  it('model: first-order approach to the set-point, CC when the limit rules, OVP trip, over-temperature via forceInput', async () => {
    const sim = await startPowerSupplySimulator({ tickMs: 60_000, seed: 42 });
    cleanups.push(() => sim.close());
    const c = await raw(sim);
    await c.writeRegisters(0, [0x4140, 0x0000]); // 12 V
    await c.writeRegisters(2, [0x4000, 0x0000]); // 2 A
    await c.writeCoil(0, true);
    sim.step(50); // 5 s ≫ τ = 0.3 s; 5 Ω load → CC at 2 A, 10 V
    expect(sim.state().voltageV).toBeCloseTo(10, 1);
    expect(sim.state().currentA).toBeCloseTo(2, 2);
    expect(sim.state().statusWord & 0b111).toBe(0b101); // on, CC
    await c.writeRegisters(2, [0x41a0, 0x0000]); // 20 A → CV at 12 V
    sim.step(50);
    expect(sim.state().voltageV).toBeCloseTo(12, 1);
    expect(sim.state().statusWord & 0b111).toBe(0b011);
    await c.writeRegister(5, 110); // OVP 11.0 V
    await c.writeRegister(4, 1); // OVP on
    sim.step(1);
    expect(sim.state()).toMatchObject({ outputEnabled: false, voltageV: 0 });
    expect(sim.state().statusWord & 0b10000).toBe(0b10000);
    sim.forceInput('temperature_c', 95);
    const regs = (await c.readInputRegisters(7, 1)).data;
    expect(regs).toEqual([950]);
    sim.forceInput('temperature_c', undefined);
    expect((await c.readInputRegisters(7, 1)).data[0]).toBeLessThan(900);
    expect(() => sim.forceInput('voltage_setpoint_v', 1)).toThrow(/not an input/);
  });
});
