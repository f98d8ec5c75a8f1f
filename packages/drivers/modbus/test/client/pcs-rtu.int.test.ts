/**
 * The rig's PCS over Modbus RTU: our client (modbus-serial, RTU over a serial line) against a pymodbus
 * 3.16 RTU server (test/peers/pymodbus_rtu_pcs.py) on a socat pty pair, serving the PCS map with
 * values scaled by the peer from the safety-rig reference §4.2: FC 04 reads of every status register,
 * FC 06 writes of settings, and one heartbeat feed cycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../../src/client/modbus-client.js';
import { PcsHeartbeat } from '../../src/client/pcs-heartbeat.js';
import { PCS_COUNTS_PER, buildPcsMap, pcsSetpointRaw } from '../../src/codec/pcs-map.js';
import { PymodbusRtuPeer as Peer } from '../helpers/pymodbus-rtu-peer.js';
import { openPtyPair } from '../helpers/pty-pair.js';
import type { PtyPair } from '../helpers/pty-pair.js';

const UNIT = 2;
const BAUD = 19200; // reference §4.1

const PROFILE = buildPcsMap({
  settingsAddressing: 'xlsx',
  opModeCodes: { off: 0, current: 2, power: 1, voltage: 4 },
  dcCurrentCountsPerA: 52.094,
  limits: { batteryMaxVoltageV: { min: 264, max: 400 }, batteryMinVoltageV: { min: 250, max: 400 } },
});

/** Status values the peer serves (engineering units; the peer scales them with these counts per unit). */
const STATUS: { name: string; address: number; value: number; countsPer: number }[] = [
  { name: 'ambient_temperature_c', address: 30256, value: 24.5, countsPer: PCS_COUNTS_PER.temperature_c },
  { name: 'heatsink_temperature_c', address: 30257, value: -7.25, countsPer: PCS_COUNTS_PER.temperature_c },
  { name: 'modbus_address', address: 30258, value: 2, countsPer: 1 },
  { name: 'modbus_baud_rate_code', address: 30259, value: 3, countsPer: 1 },
  { name: 'modbus_parity_code', address: 30260, value: 0, countsPer: 1 },
  { name: 'modbus_mode_code', address: 30261, value: 1, countsPer: 1 },
  { name: 'comm_timer_s', address: 30262, value: 4.2, countsPer: 10 },
  { name: 'battery_voltage_v', address: 30263, value: 378.4, countsPer: PCS_COUNTS_PER.voltage_v },
  { name: 'voltage_reference_v', address: 30264, value: 380, countsPer: PCS_COUNTS_PER.voltage_v },
  { name: 'dc_link_voltage_v', address: 30265, value: 379.1, countsPer: PCS_COUNTS_PER.voltage_v },
  { name: 'dc_link_power_kw', address: 30266, value: -15.72, countsPer: PCS_COUNTS_PER.power_kw },
  { name: 'dc_link_current_a', address: 30267, value: -35, countsPer: 52.094 },
  { name: 'ready_to_charge', address: 30268, value: 1, countsPer: 1 },
  { name: 'phase_a_voltage_v', address: 30269, value: 277.1, countsPer: PCS_COUNTS_PER.phase_voltage_v },
  { name: 'phase_b_voltage_v', address: 30270, value: 276.4, countsPer: PCS_COUNTS_PER.phase_voltage_v },
  { name: 'phase_c_voltage_v', address: 30271, value: 278.9, countsPer: PCS_COUNTS_PER.phase_voltage_v },
  { name: 'ciu_fault_word', address: 30272, value: 0x0108, countsPer: 1 },
  { name: 'miu_fault_word_1', address: 30273, value: 0x0001, countsPer: 1 },
  { name: 'miu_fault_word_2', address: 30274, value: 0x0002, countsPer: 1 },
  { name: 'miu_fault_word_3', address: 30275, value: 0x0004, countsPer: 1 },
  { name: 'miu_fault_word_4', address: 30276, value: 0x0008, countsPer: 1 },
  { name: 'miu_fault_word_5', address: 30277, value: 0x8000, countsPer: 1 },
  { name: 'miu_warning_word', address: 30278, value: 0x4008, countsPer: 1 },
  { name: 'status_word', address: 30279, value: 0xc030, countsPer: 1 },
  { name: 'power_limit_inverter_kw', address: 30285, value: 60, countsPer: PCS_COUNTS_PER.power_kw },
];

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), Modbus over Serial Line V1.02 §6.2.2 — test-only oracle. */
function crc16(bytes: Buffer): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
/** An RTU ADU: unit, PDU, CRC low byte first. */
function rtuFrame(unit: number, pduHex: string): string {
  const body = Buffer.concat([Buffer.of(unit), Buffer.from(pduHex, 'hex')]);
  const crc = crc16(body);
  return Buffer.concat([body, Buffer.of(crc & 0xff, crc >> 8)]).toString('hex');
}

describe('Drivers > Modbus > the rig PCS over RTU with a pymodbus 3.16 server on a pty', () => {
  let pty: PtyPair;
  let peer: Peer;
  let client: ModbusDeviceClient;

  beforeAll(async () => {
    pty = await openPtyPair();
    peer = await Peer.start({ port: pty.a, unit: UNIT, baudrate: BAUD, input: STATUS.map(({ address, value, countsPer }) => ({ address, value, countsPer })), holding: [{ address: 41025, raw: 1000 }] });
    client = new ModbusDeviceClient({
      connection: { kind: 'rtu', path: pty.b, baudRate: BAUD, parity: 'none', dataBits: 8, stopBits: 1 },
      unitId: UNIT,
      timeoutMs: 1000,
      map: PROFILE.map,
      plan: PROFILE.plan,
    });
    await client.connect();
    // pymodbus prints before its port is open: wait for the first answer.
    for (let i = 0; ; i++) {
      try {
        await client.readAll();
        break;
      } catch (e) {
        if (i > 50) throw e;
      }
    }
  });
  afterAll(async () => {
    await client?.close();
    await peer?.stop();
    await pty?.close();
  });

  it('reads every status register with the reference scales and signs (FC 04 only)', async () => {
    const { values } = await client.readAll();
    for (const s of STATUS) {
      const raw = Math.round(s.value * s.countsPer);
      expect({ name: s.name, value: values[s.name] }).toEqual({ name: s.name, value: expect.closeTo(raw / s.countsPer, 9) as number });
      expect(Math.abs((values[s.name] as number) - s.value)).toBeLessThanOrEqual(0.5 / s.countsPer + 1e-12);
    }
    expect(values.dc_link_power_kw).toBeLessThan(0);
    expect(values.heatsink_temperature_c).toBeLessThan(0);
    expect([values.ciu_fault_epo, values.ciu_fault_modbus_comm, values.ciu_fault_key]).toEqual([true, true, false]);
    expect([values.status_fan_on, values.status_can_values_received, values.status_positive_dc_contactor, values.status_maintenance_mode]).toEqual([true, true, true, false]);
    expect(Object.keys(values).some((k) => k === 'security_code')).toBe(false); // holding registers are not polled
    const { frames } = await peer.ask<{ frames: string[] }>({ cmd: 'frames' });
    expect(frames).toContain(rtuFrame(UNIT, '0476300018')); // FC 04, 30256 (0x7630), 24 registers
    expect(frames).toContain(rtuFrame(UNIT, '04764d0001')); // FC 04, 30285, 1 register
    expect(frames.every((f) => f.slice(2, 4) === '04')).toBe(true);
  });

  it('writes settings with FC 06 that land in the server registers, scaled and signed', async () => {
    await client.write('security_code', 125);
    await client.write('battery_max_voltage_v', 384);
    await client.write('battery_max_charge_current_a', -100);
    await client.write('op_mode', 2);
    await client.write('op_mode_setpoint_raw', pcsSetpointRaw('current', -35));
    const got = async (address: number): Promise<number[]> => (await peer.ask<{ writes: number[] }>({ cmd: 'written', address })).writes;
    expect(await got(41024)).toEqual([125]);
    expect(await got(41028)).toEqual([Math.round(384 * 32.767)]);
    expect(await got(41030)).toEqual([65536 - 5209]); // −100 A × 52.094, two's complement
    expect(await got(41026)).toEqual([2]);
    expect(await got(41027)).toEqual([65536 - 1823]);
    const { frames } = await peer.ask<{ frames: string[] }>({ cmd: 'frames' });
    expect(frames).toContain(rtuFrame(UNIT, '06a040007d'));
    expect(frames).toContain(rtuFrame(UNIT, '06a046eba7'));
  });

  it('feeds the heartbeat with a real timeout and stops feeding on stop()', async () => {
    const hb = new PcsHeartbeat({ writer: client, timeoutS: 5, intervalMs: 200, deviceId: 'pcs' });
    const fed = new Promise<void>((resolve) => hb.once('fed', () => resolve()));
    hb.start();
    await fed;
    await hb.stop();
    const { writes } = await peer.ask<{ writes: number[] }>({ cmd: 'written', address: 41025 });
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(writes)).toEqual(new Set([50])); // 5.0 s = 50 counts, never 333
    await new Promise((r) => setTimeout(r, 600));
    const after = await peer.ask<{ writes: number[] }>({ cmd: 'written', address: 41025 });
    expect(after.writes).toHaveLength(writes.length);
  });
});
