/**
 * The rig's PCS map: §4.3 choices as configuration, and FC 04 / FC 06 byte vectors decoded and
 * encoded through the map. PDU layouts from the Modbus Application Protocol Specification V1.1b3
 * §6.4 (FC 04 response: fc, byte count, registers high byte first) and §6.6 (FC 06 request: fc,
 * address, value); register values computed by hand from the safety-rig reference §4.2 scales.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPcsMap, pcsSetpointRaw } from '../../src/codec/pcs-map.js';
import type { PcsMapOptions } from '../../src/codec/pcs-map.js';
import { planReads } from '../../src/codec/read-plan.js';
import { parseRegisterMap } from '../../src/codec/register-map.js';
import { decodeBlock, encodeWrite } from '../../src/codec/values.js';
import { ModbusConfigError } from '../../src/errors.js';

const RIG: PcsMapOptions = {
  settingsAddressing: 'xlsx',
  opModeCodes: { off: 0, current: 2, power: 1, voltage: 4 },
  dcCurrentCountsPerA: 52.094,
  limits: { batteryMaxVoltageV: { min: 264, max: 400 }, batteryMinVoltageV: { min: 250, max: 400 } },
};

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** Registers of an FC 04 response PDU (spec §6.4): fc 0x04, byte count, then 2 bytes per register. */
function registersOfFc04Response(pdu: Buffer): number[] {
  expect(pdu[0]).toBe(0x04);
  const n = pdu[1]! / 2;
  expect(pdu.length).toBe(2 + 2 * n);
  return Array.from({ length: n }, (_, i) => pdu.readUInt16BE(2 + 2 * i));
}

describe('PCS map', () => {
  it('plans FC 04 reads of the status block only (30256..30283 and 30285; 30284 is not in the map)', () => {
    const { map, plan } = buildPcsMap(RIG);
    const blocks = planReads(map, plan);
    expect(blocks.map((b) => [b.functionCode, b.start, b.count])).toEqual([[4, 30256, 24], [4, 30285, 1]]);
  });

  it('decodes an FC 04 response with the reference scales and signs', () => {
    const { map, plan } = buildPcsMap(RIG);
    const block = planReads(map, plan)[0]!;
    // 30256 ambient 25.0 °C = 2730 (0x0AAA); 30257 heat sink −5.0 °C = −546 → 0xFDDE; 30258..30261 2, 3, 0, 1;
    // 30262 timer 4.9 s = 49 (0x0031); 30263 battery 378.0 V = 12386 (0x3062); 30264 ref 380 V = 12451 (0x30A3);
    // 30265 DC link 379.5 V = 12435 (0x3093); 30266 power −15.72 kW = −3434 → 0xF296; 30267 current −35 A ×52.094 = −1823 → 0xF8E1;
    // 30268 ready 1; 30269..30271 phase 277.0 V ×65.535 = 18153 (0x46E9); 30272 CIU faults bit 8 (EPO) = 0x0100;
    // 30273..30277 zero; 30278 warnings bit 3 = 0x0008; 30279 status bits 4, 5, 14 = 0x4030.
    const pdu = hex(`04 30
      0AAA FDDE 0002 0003 0000 0001
      0031 3062 30A3 3093 F296 F8E1
      0001 46E9 46E9 46E9 0100
      0000 0000 0000 0000 0000 0008 4030`);
    const v = decodeBlock(block, registersOfFc04Response(pdu));
    expect(v.ambient_temperature_c).toBeCloseTo(25.0, 2);
    expect(v.heatsink_temperature_c).toBeCloseTo(-5.0, 2);
    expect(v.modbus_address).toBe(2);
    expect(v.comm_timer_s).toBeCloseTo(4.9, 9);
    expect(v.battery_voltage_v).toBeCloseTo(378.0, 2);
    expect(v.dc_link_voltage_v).toBeCloseTo(379.5, 2);
    expect(v.dc_link_power_kw).toBeCloseTo(-15.72, 2);
    expect(v.dc_link_current_a).toBeCloseTo(-35.0, 1);
    expect(v.phase_b_voltage_v).toBeCloseTo(277.0, 2);
    expect(v.ciu_fault_epo).toBe(true);
    expect(v.ciu_fault_key).toBe(false);
    expect(v.miu_warning_power_limited).toBe(true);
    expect([v.status_positive_dc_contactor, v.status_negative_dc_contactor, v.status_fan_on, v.status_grid_connected]).toEqual([true, true, true, false]);
  });

  it('reads the same current register differently with the xlsx scale (§4.3 item 4 is configuration)', () => {
    const xlsx = buildPcsMap({ ...RIG, dcCurrentCountsPerA: 32.767 });
    const block = planReads(xlsx.map, xlsx.plan)[0]!;
    const regs = new Array<number>(24).fill(0);
    regs[30267 - 30256] = 0xf8e1; // −1823
    expect(decodeBlock(block, regs).dc_link_current_a).toBeCloseTo(-1823 / 32.767, 9);
  });

  it('encodes FC 06 settings to the bytes of the reference scales (xlsx numbering)', () => {
    const { map } = buildPcsMap(RIG);
    const point = (n: string) => map.points.find((p) => p.name === n)!;
    const fc06 = (n: string, value: number): string => {
      const w = encodeWrite(point(n), value);
      expect(w.words).toHaveLength(1);
      const b = Buffer.alloc(5);
      b[0] = 0x06;
      b.writeUInt16BE(w.address, 1);
      b.writeUInt16BE(w.words![0]!, 3);
      return b.toString('hex');
    };
    expect(fc06('security_code', 125)).toBe('06a040007d'); // 41024 = 0xA040, 125
    expect(fc06('heartbeat_timeout_s', 5)).toBe('06a0410032'); // 41025, 50 counts
    expect(fc06('op_mode', 2)).toBe('06a0420002');
    expect(fc06('op_mode_setpoint_raw', pcsSetpointRaw('current', -35))).toBe('06a043f8e1'); // −35 A × 52.094 = −1823
    expect(fc06('battery_max_voltage_v', 384)).toBe('06a0443127'); // 384 × 32.767 = 12582.5 → 12583 = 0x3127
    expect(fc06('battery_max_charge_current_a', -100)).toBe('06a046eba7'); // 41030, −100 × 52.094 = −5209 → 0xEBA7
  });

  it('puts the four named settings at the PDF numbers when configured, and leaves the limits out', () => {
    const { map } = buildPcsMap({ ...RIG, settingsAddressing: 'pdf' });
    const addr = Object.fromEntries(map.points.filter((p) => p.type === 'holding').map((p) => [p.name, p.address]));
    expect(addr).toEqual({ security_code: 41025, heartbeat_timeout_s: 41027, op_mode: 41028, op_mode_setpoint_raw: 41029 });
  });

  it('cannot write the 33.3 s heartbeat bypass (defect D7) or voltage limits outside the configured range', () => {
    const { map } = buildPcsMap(RIG);
    const hb = map.points.find((p) => p.name === 'heartbeat_timeout_s')!;
    expect(() => encodeWrite(hb, 33.3)).toThrow(expect.objectContaining({ code: 'BB_MODBUS_WRITE_OUT_OF_RANGE' }) as Error);
    const vmax = map.points.find((p) => p.name === 'battery_max_voltage_v')!;
    expect(() => encodeWrite(vmax, 401)).toThrow(expect.objectContaining({ code: 'BB_MODBUS_WRITE_OUT_OF_RANGE' }) as Error);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no addressing choice', { ...RIG, settingsAddressing: undefined }, /settingsAddressing: must be "xlsx" or "pdf"/],
    ['no op-mode codes', { ...RIG, opModeCodes: {} }, /opModeCodes\.off: required/],
    ['repeated op-mode codes', { ...RIG, opModeCodes: { off: 0, current: 1, power: 1 } }, /opModeCodes: codes must differ/],
    ['no current scale', { ...RIG, dcCurrentCountsPerA: undefined }, /dcCurrentCountsPerA: must be a positive number/],
    ['no limits', { ...RIG, limits: undefined }, /limits: required with xlsx addressing/],
    ['a limit the register cannot hold', { ...RIG, limits: { ...RIG.limits, batteryMaxVoltageV: { min: 0, max: 2000 } } }, /points\[\d+\]\.writable\.max: 2000 is not representable as int16/],
  ];
  it.each(bad)('refuses %s, naming it', (_what, options, message) => {
    let err: unknown;
    try {
      buildPcsMap(options as PcsMapOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModbusConfigError);
    expect((err as ModbusConfigError).message).toMatch(message);
  });

  it('scales set-points per mode and refuses what does not fit 16 bits', () => {
    expect(pcsSetpointRaw('power', -15.72)).toBe(-3434);
    expect(pcsSetpointRaw('voltage', 380)).toBe(12451);
    expect(() => pcsSetpointRaw('power', 200)).toThrow(ModbusConfigError);
  });
});

describe('examples/pcs-safety-rig.map.json', () => {
  it('is the map buildPcsMap makes for the rig choices (xlsx numbering, the code\'s 52.094 counts/A)', () => {
    const json: unknown = JSON.parse(readFileSync(new URL('../../examples/pcs-safety-rig.map.json', import.meta.url), 'utf8'));
    expect(parseRegisterMap(json)).toEqual(buildPcsMap(RIG).map);
  });
});
