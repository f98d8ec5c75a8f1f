import { afterEach, describe, expect, it } from 'vitest';
import { startCorusSimulator, type CorusSimulator } from '../../src/simulator/simulator.js';
import { formatCorusDateTime, isCorusDateTime } from '../../src/codec/data-classes.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { RawPeer, VECTOR_MAP } from '../helpers.js';
import { hex, toHex, vectors } from '../vectors/load.js';

let sim: CorusSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type Step = { direction: string; hex: string };

async function replay(s: CorusSimulator, steps: Step[]): Promise<void> {
  const peer = await RawPeer.connect(s.host, s.port);
  try {
    for (const st of steps) {
      if (st.direction === 'client->device') peer.send(hex(st.hex));
      else if (st.direction === 'device->client') expect(toHex(await peer.read(st.hex.length / 2))).toBe(st.hex);
    }
  } finally {
    peer.close();
  }
}

describe('Simulator (README §13) against vectors.json', () => {
  it('session_example: produces the device bytes exactly and applies the date write', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, values: { volume_unconverted_m3: '234567.982', volume_converted_m3: '222222.982' }, historyRecords: 0 });
    await replay(sim, vectors.session_example.exchange);
    const clock = sim.parameter('clock');
    expect(isCorusDateTime(clock) && formatCorusDateTime(clock)).toBe('2020-10-07T22:01:47');
    await new Promise((r) => setTimeout(r, 20));
    expect(sim.stats.breaks).toBe(1);
  });

  it('database_transfer_example: same request → the exact two frames (chunk 100)', async () => {
    const ex = vectors.database_transfer_example;
    sim = await startCorusSimulator({ map: VECTOR_MAP, databaseChunk: 100, logRecords: { interval: ex.records_hex.map(hex) } });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    await replay(sim, [...start, ...ex.exchange]);
    expect(sim.logRecords('interval')[0]?.values.consumption_interval_converted?.toString()).toBe('100');
  });

  it('database_empty_example: a window with no record → 01 03 01 80 00 03 81 E6', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    await replay(sim, [...start, { direction: 'client->device', hex: vectors.frames.find((f: { name: string }) => f.name === 'database_request interval').hex }, { direction: 'device->client', hex: vectors.database_empty_example.hex }]);
  });

  it("NAKs iflag's defective two-byte-id write and accepts the correct one (README §6, §13.4)", async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    const f = (n: string): string => vectors.frames.find((x: { name: string }) => x.name === n).hex;
    await replay(sim, [...start, { direction: 'client->device', hex: f('write_request_two_byte_id_iflag_bug') }, { direction: 'device->client', hex: '15' }, { direction: 'client->device', hex: f('write_request_two_byte_id_correct') }, { direction: 'device->client', hex: '06' }]);
    expect((sim.parameter(300) as ExactDecimal).toString()).toBe('7');
  });

  it('refuses a wrong password with NAK and stays asleep (README §13.2)', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, password: 'ABCD', historyRecords: 0 });
    const peer = await RawPeer.connect(sim.host, sim.port);
    const start: Step[] = vectors.session_example.exchange.slice(0, 5);
    for (const st of start) if (st.direction === 'client->device') peer.send(hex(st.hex));
    await peer.read(3 + 12);
    expect(toHex((await peer.read(6)).subarray(0, 4))).toBe('41424344');
    peer.send(hex('50415353e0ae'));
    expect(toHex(await peer.read(1))).toBe('15');
    peer.close();
    expect(sim.stats.sessions).toBe(0);
  });

  it('serves one session at a time: a second connection is dropped', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const a = await RawPeer.connect(sim.host, sim.port);
    const b = await RawPeer.connect(sim.host, sim.port);
    await b.read(1, 500);
    expect(b.closed).toBe(true);
    expect(sim.stats.rejectedConnections).toBe(1);
    a.close();
    b.close();
  });

  it('advance() appends interval records and grows the volume registers by consumption × pulse weight', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0, startTime: '2020-10-07T12:00:00' });
    const before = sim.parameter('volume_converted_m3') as ExactDecimal;
    sim.advance(3600);
    const recs = sim.logRecords('interval');
    expect(recs.map((r) => r.endDate)).toEqual(['2020-10-07T13:00:00', '2020-10-07T12:45:00', '2020-10-07T12:30:00', '2020-10-07T12:15:00']);
    const added = recs.reduce((s, r) => s.add(r.values.consumption_interval_converted as ExactDecimal), ExactDecimal.ZERO);
    expect((sim.parameter('volume_converted_m3') as ExactDecimal).toString()).toBe(before.add(added).toString());
    expect(sim.clockTime()).toBe('2020-10-07T13:00:00');
  });
});
