/**
 * cantools run live as the oracle: random frames (seeded) for every message of the four DBCs are
 * decoded by our codec and by cantools; the values we decode are encoded by both. Bounded: 25 frames
 * per message (fewer for the 154-message rig DBC).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDbc } from '../../src/codec/dbc.js';
import { decodeMessage, encodeMessage } from '../../src/codec/signals.js';
import { peersPython } from '../peers/peer.js';
import { dbcText, VECTOR_DBCS } from '../support/vectors.js';

interface Answer {
  decode: Array<{ values?: Record<string, number | null>; error?: string }>;
  encode: Array<{ data?: string; error?: string }>;
}

function cantools(request: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(peersPython(), [fileURLToPath(new URL('../peers/cantools_oracle.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Answer) : reject(new Error(`cantools oracle exited ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(request));
  });
}

describe.each(VECTOR_DBCS)('cantools live on random frames: %s', (file, strict) => {
  it('decodes like cantools, and encodes our decoded values to the bytes cantools encodes', async () => {
    const dbc = parseDbc(dbcText(file), { strict });
    const perMessage = dbc.messages.length > 100 ? 4 : 25;
    const frames = fc.sample(fc.uint8Array({ minLength: 64, maxLength: 64 }), { numRuns: dbc.messages.length * perMessage, seed: 42 });
    const decodeReq = dbc.messages.flatMap((m, i) => frames.slice(i * perMessage, (i + 1) * perMessage).map((b) => ({ message: m.name, data: Buffer.from(b.slice(0, m.length)).toString('hex') })));
    const ours = decodeReq.map((d) => {
      const m = dbc.messageByName(d.message);
      if (m === undefined) throw new Error(d.message);
      return { m, decoded: decodeMessage(m, Uint8Array.from(Buffer.from(d.data, 'hex'))) };
    });
    // Encode only what cantools could decode (it refuses multiplexer values with no branch) and whose values are finite.
    const answer1 = await cantools({ dbc: fileURLToPath(new URL(`../vectors/${file}`, import.meta.url)), strict, decode: decodeReq, encode: [] });
    let compared = 0;
    let refused = 0;
    const encodeReq: Array<{ message: string; values: Record<string, number> }> = [];
    answer1.decode.forEach((a, i) => {
      const o = ours[i];
      if (o === undefined) return;
      if (a.values === undefined) {
        refused++;
        expect(a.error, `${decodeReq[i]?.message}`).toMatch(/multiplexer/);
        return;
      }
      if (Object.values(a.values).some((v) => v === null)) return; // NaN/Inf float bits
      compared++;
      expect(Object.keys(o.decoded.values).sort()).toEqual(Object.keys(a.values).sort());
      for (const [k, v] of Object.entries(a.values)) {
        const got: number = o.decoded.values[k] ?? Number.NaN;
        if (!(Object.is(got, v) || Math.abs(got - (v as number)) <= 1e-9 * Math.max(1, Math.abs(v as number)))) expect.fail(`${o.m.name}.${k}: ours ${got}, cantools ${v}`);
      }
      const inRange = o.m.signals.every((s) => s.minimum === undefined || s.maximum === undefined || !(s.name in o.decoded.values) || ((o.decoded.values[s.name] ?? 0) >= s.minimum && (o.decoded.values[s.name] ?? 0) <= s.maximum));
      if (inRange) encodeReq.push({ message: o.m.name, values: o.decoded.values as Record<string, number> });
    });
    const answer2 = await cantools({ dbc: fileURLToPath(new URL(`../vectors/${file}`, import.meta.url)), strict, decode: [], encode: encodeReq });
    let encoded = 0;
    answer2.encode.forEach((a, i) => {
      const req = encodeReq[i];
      if (req === undefined) return;
      const m = dbc.messageByName(req.message);
      if (m === undefined) throw new Error(req.message);
      if (a.data === undefined) {
        expect(() => encodeMessage(m, req.values), `${req.message}: cantools refused (${a.error})`).toThrow();
        return;
      }
      encoded++;
      expect(Buffer.from(encodeMessage(m, req.values)).toString('hex'), req.message).toBe(a.data);
    });
    expect(compared).toBeGreaterThan(0);
    expect(encoded).toBeGreaterThan(0);
    process.stdout.write(`${file}: ${compared} decodes and ${encoded} encodes compared with cantools live (${refused} frames cantools refused: undefined multiplexer value)\n`);
  });
});
