/**
 * Interop: iflag 1.0.1 (the open reference client, itron-corus README §0) drives OUR simulator.
 * Its decoded values must equal what the simulator holds. Paths hitting iflag's defects (README
 * §12: Float1/2/3 writes, two-byte-id writes, NAK retries, empty answers) are avoided.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { formatCorusDateTime, isCorusDateTime } from '../../src/codec/data-classes.js';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import { startCorusSimulator, type CorusSimulator } from '../../src/simulator/simulator.js';
import { CorusSession } from '../../src/client/session.js';
import { tcpTransport } from '../../src/client/transport.js';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));
const python = process.env.BUSBAR_PEERS_PYTHON ?? `${repo}.venv/peers/bin/python`;
const script = fileURLToPath(new URL('./iflag_client.py', import.meta.url));

interface IflagOut {
  map_id: string;
  read: Record<string, string>;
  read_back: Record<string, string>;
  records: Record<string, string | number>[];
}

function runIflag(host: string, port: number): Promise<IflagOut> {
  return new Promise((resolve, reject) => {
    const p = spawn(python, [script, '--host', host, '--port', String(port), '--password', 'PASS'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += String(c)));
    p.stderr.on('data', (c) => (err += String(c)));
    const t = setTimeout(() => p.kill(), 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      if (code !== 0) reject(new Error(`iflag client exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as IflagOut);
    });
  });
}

const eq = (a: string | number | undefined, b: unknown): boolean => {
  if (b instanceof ExactDecimal) return a !== undefined && ExactDecimal.from(String(a)).equals(b);
  if (isCorusDateTime(b)) return a === formatCorusDateTime(b);
  return a === b;
};

describe('Peers > iflag 1.0.1 against the Corus simulator', () => {
  let sim: CorusSimulator;
  let iflag: IflagOut;
  const before: Record<string, unknown> = {};

  beforeAll(async () => {
    if (!existsSync(python)) throw new Error(`peer Python not found at ${python}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
    sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, seed: 7, databaseChunk: 100 });
    for (const id of [94, 1, 15, 106, 107, 148, 149, 200]) before[id] = sim.parameter(id);
    iflag = await runIflag(sim.host, sim.port);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('reads the map name at 0x5E', () => {
    expect(iflag.read['94']).toBe('FL_b0040');
    expect(iflag.map_id).toBe('b0040');
  });

  it('decodes every parameter to the value the simulator holds', () => {
    for (const id of [1, 15, 106, 107, 148, 149, 200]) expect(eq(iflag.read[String(id)], before[id]), `id ${id}: iflag ${iflag.read[String(id)]}`).toBe(true);
  });

  it('its writes changed the simulator, and read back equal', () => {
    expect((sim.parameter(107) as ExactDecimal).toString()).toBe('1234');
    expect(ExactDecimal.from(iflag.read_back['107'] as string).toString()).toBe('1234');
    const clock = sim.parameter(106);
    expect(isCorusDateTime(clock) && formatCorusDateTime(clock)).toBe('2021-01-15T08:00:00');
    expect(iflag.read_back['106']).toBe('2021-01-15T08:00:00');
  });

  it('reads the interval log across several frames: records equal the simulator (pulse-scaled)', () => {
    const expected = sim.logRecords('interval').filter((r) => r.endDate >= '2020-10-07T10:00:00' && r.endDate <= '2020-10-07T12:00:00');
    expect(expected.length * 52).toBeGreaterThan(3 * 100); // ≥ 4 frames
    expect(iflag.records).toHaveLength(expected.length);
    iflag.records.forEach((r, i) => {
      const want = (expected[i] as (typeof expected)[number]).values;
      expect(Object.keys(r).sort()).toEqual(Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) expect(eq(r[k], v), `record ${i} ${k}: iflag ${r[k]} vs ${String(v)}`).toBe(true);
    });
  });

  it('our driver reads the same values as iflag did', async () => {
    const session = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0 });
    try {
      const r = await session.readParameters(['volume_unconverted_m3', 'volume_converted_m3', 'pulse_weight_m3', 'battery_days']);
      expect(eq(iflag.read['148'], r.volume_unconverted_m3)).toBe(true);
      expect(eq(iflag.read['149'], r.volume_converted_m3)).toBe(true);
      expect(eq(iflag.read['1'], r.pulse_weight_m3)).toBe(true);
      expect(eq(iflag.read_back['107'], r.battery_days)).toBe(true);
      const recs = [];
      for await (const x of session.readLog('interval', { since: new Date('2020-10-07T10:00:00Z'), until: new Date('2020-10-07T12:00:00Z') })) recs.push(x);
      expect(recs.map((x) => x.deviceTime)).toEqual(iflag.records.map((x) => x.end_date).reverse());
      recs.reverse().forEach((x, i) => {
        for (const [k, v] of Object.entries(x.values)) {
          if (v instanceof ExactDecimal) expect(eq((iflag.records[i] as Record<string, string>)[k], v), k).toBe(true);
        }
      });
    } finally {
      await session.close();
    }
  });
});
