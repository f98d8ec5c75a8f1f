/**
 * Figures of the CAN driver (prints; asserts nothing). Run: `npm run bench -w packages/drivers/can`.
 * - DBC parse time (tesla_can.dbc, the rig DBC of ours);
 * - decode/encode throughput on rig BMU PDO frames;
 * - socketcand framing + parsing throughput;
 * - frame latency client → our socketcand server → client on loopback, p50/p99 over 2000 frames.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectSocketcand, decodeMessage, encodeMessage, parseDbc, startSocketcandServer } from '../src/index.js';
import { encodeFrameElement, parseElement, SocketcandFramer } from '../src/codec/socketcand.js';

const text = (f: string): string => readFileSync(new URL(`../test/vectors/${f}`, import.meta.url), 'utf8');

function time(label: string, iterations: number, units: number, unit: string, fn: () => void): void {
  for (let i = 0; i < Math.min(50, iterations); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(40)} ${iterations} × ${units} ${unit} in ${ms.toFixed(1)} ms → ${Math.round((iterations * units) / (ms / 1000)).toLocaleString('en-US')} ${unit}/s`);
}

const tesla = text('tesla_can.dbc');
const rigText = text('busbar_safety_rig_bmu.dbc');
time('parse tesla_can.dbc (54 KB)', 50, 1, 'files', () => parseDbc(tesla, { strict: false }));
time('parse busbar_safety_rig_bmu.dbc (59 KB)', 50, 1, 'files', () => parseDbc(rigText));

const rig = parseDbc(rigText);
const pdos = rig.messages.filter((m) => /_pdo\d$/.test(m.name));
const frames = pdos.map((m, i) => ({ m, data: Uint8Array.from({ length: 8 }, (_, j) => (i * 31 + j * 7) & 0xff) }));
time('decode rig PDO frames', 2000, frames.length, 'frames', () => {
  for (const f of frames) decodeMessage(f.m, f.data);
});
const decoded = frames.map((f) => ({ m: f.m, values: decodeMessage(f.m, f.data).values }));
time('encode rig PDO frames', 2000, decoded.length, 'frames', () => {
  for (const d of decoded) encodeMessage(d.m, d.values, { checkRange: false });
});
const stream = frames.map((f, i) => encodeFrameElement({ id: f.m.id, extended: false, data: f.data }, 1_700_000_000_000 + i)).join('');
time('socketcand framing + parse', 500, frames.length, 'frames', () => {
  const fr = new SocketcandFramer();
  for (const b of fr.push(stream)) parseElement(b);
});

const server = await startSocketcandServer({ rawModeSettleMs: 10 });
const a = await connectSocketcand({ host: '127.0.0.1', port: server.port });
const b = await connectSocketcand({ host: '127.0.0.1', port: server.port });
await new Promise((r) => setTimeout(r, 50));
const latencies: number[] = [];
for (let i = 0; i < 2000; i++) {
  const got = new Promise<void>((resolve) => {
    const off = b.onFrame(() => {
      off();
      resolve();
    });
  });
  const t0 = performance.now();
  await a.send({ id: 0x181, extended: false, data: Uint8Array.of(i & 0xff, 0, 0, 0, 0, 0, 0, 0) });
  await got;
  latencies.push(performance.now() - t0);
}
latencies.sort((x, y) => x - y);
const q = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(3);
console.log(`${'loopback client→server→client latency'.padEnd(40)} n=${latencies.length} p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
await a.close();
await b.close();
await server.close();
