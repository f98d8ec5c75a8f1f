/**
 * Interop through the socketcand protocol with python-can as the peer: the BMS simulator
 * (peers/bms_sim.py, python-can `socketcand` interface + cantools) and our driver are two clients of
 * our socketcand-protocol server; we decode its BMU PDOs with our DBC codec, and it receives and
 * checks the SYNC, SDO and extended-id frames we send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSocketcand } from '../src/client/socketcand.js';
import type { SocketcandTransport } from '../src/client/socketcand.js';
import { CanReceiver } from '../src/client/receiver.js';
import type { ReceivedMessage, StaleReport } from '../src/client/receiver.js';
import { parseDbc } from '../src/codec/dbc.js';
import { encodeFrame } from '../src/codec/signals.js';
import { startSocketcandServer } from '../src/simulator/server.js';
import type { SocketcandServer } from '../src/simulator/server.js';
import { startBmsSim } from './peers/peer.js';
import type { BmsSim } from './peers/peer.js';
import { dbcText } from './support/vectors.js';

const dbc = parseDbc(dbcText('busbar_safety_rig_bmu.dbc'));
let server: SocketcandServer;
let sim: BmsSim;
let transport: SocketcandTransport;
let receiver: CanReceiver;
const latest = new Map<string, ReceivedMessage>();
const bmuStale: StaleReport[] = [];

beforeAll(async () => {
  server = await startSocketcandServer();
  sim = await startBmsSim(server.port, [1, 2, 3], 0.05);
  transport = await connectSocketcand({ host: '127.0.0.1', port: server.port });
  receiver = new CanReceiver({ transport, dbc, bmuStaleAfterMs: 500 });
  receiver.on('message', (m) => latest.set(m.message.name, m));
  receiver.on('bmu-stale', (r) => bmuStale.push(r));
});
afterAll(async () => {
  receiver?.stop();
  await transport?.close();
  await sim?.stop();
  await server?.close();
});

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('python-can BMS simulator ↔ our socketcand transport and DBC codec', () => {
  it('discovers the three BMUs and decodes all eight PDOs of each with the values cantools encoded', async () => {
    const names = [1, 2, 3].flatMap((n) => Array.from({ length: 8 }, (_, i) => `BMU0${n}_pdo${i + 1}`));
    await until(() => names.every((n) => latest.has(n)), 'all 24 PDOs');
    expect(receiver.bmus()).toEqual([1, 2, 3]);
    for (const n of [1, 2, 3]) {
      const pdo1 = latest.get(`BMU0${n}_pdo1`);
      expect(pdo1?.nodeId).toBe(n);
      expect(pdo1?.values.CMA_Voltage).toBeCloseTo(47 + 0.1 * n, 6);
      expect(pdo1?.values.CMA_Current).toBeCloseTo(-10, 6);
      expect(pdo1?.values.Min_Cell_Voltage).toBeCloseTo(3.3, 6);
      expect(latest.get(`BMU0${n}_pdo2`)?.values.SOC).toBe(80);
      expect(latest.get(`BMU0${n}_pdo4`)?.values.Cell_14_Voltage).toBeCloseTo(3.34, 6);
      expect(latest.get(`BMU0${n}_pdo5`)?.values.Charge_Ah_from_BMU).toBe(1000 + n);
      expect(latest.get(`BMU0${n}_pdo6`)?.values.CMA_Temp7).toBe(25);
    }
    expect(receiver.unknownFrames).toBe(0);
  });

  it('a value changed in the simulator arrives decoded', async () => {
    sim.command('set 2 CMA_Max_Temp 61');
    await until(() => latest.get('BMU02_pdo1')?.values.CMA_Max_Temp === 61, 'CMA_Max_Temp 61');
  });

  it('python-can receives our SYNC, our SDO request (and answers it), and our extended-id frame', async () => {
    await transport.send(encodeFrame(dbc, 'SYNC', { Sync_Count: 255 }));
    await transport.send(encodeFrame(dbc, 'BMU02_SDO_Req', { SDO_size_indicate: 1, SDO_Expidited: 1, SDO_unused_bytes: 3, SDO_toggle: 0, SDO_CMD: 1, SDO_Index: 0x1805, SDO_SubIndex: 1, SDO_Data: 0 }));
    await transport.send(encodeFrame(dbc, 'SendyneReq', { Sendyne_OpCode_Req: 225 }));
    const rx = (id: number) => (l: Record<string, unknown>) => (l.rx as { id?: number } | undefined)?.id === id;
    expect((await sim.waitFor(rx(0x080))).rx).toEqual({ id: 0x080, ext: false, data: 'ff' });
    expect((await sim.waitFor(rx(0x602))).rx).toEqual({ id: 0x602, ext: false, data: '2f05180100000000' });
    expect((await sim.waitFor(rx(0x0a100101))).rx).toEqual({ id: 0x0a100101, ext: true, data: 'e1' });
    await until(() => latest.has('BMU02_SDO_Resp'), 'the SDO response 0x582');
    expect(latest.get('BMU02_SDO_Resp')?.values).toMatchObject({ SDO_CMD: 3, SDO_Index: 0x1805, SDO_SubIndex: 1, SDO_Data: 0 });
  });

  it('a BMU that stops sending is reported stale with its node id; the others are not', async () => {
    sim.command('stop 3');
    await until(() => bmuStale.length > 0, 'bmu-stale');
    expect(bmuStale.map((r) => r.nodeId)).toEqual([3]);
    expect(bmuStale[0]?.ageMs).toBeGreaterThanOrEqual(500);
    expect(receiver.staleMessages().every((r) => r.nodeId === 3)).toBe(true);
  });
});
