/**
 * Corus benchmarks (printed, never asserted): codec decode throughput and log-read records/s
 * through CorusSession against the simulator on loopback. Run: `npm run bench -w @busbar/driver-itron-corus`.
 */
import { CorusLink, CorusSession, EXAMPLE_CORUS_MAP, ExactDecimal, startCorusSimulator, tcpTransport, decodeValue, decideLogRecords, expectedLogSlots, dateToCorusDateTime } from '../src/index.js';
import { DatabaseAssembler, decodeRecord, encodeDatabaseFrames } from '../src/codec/database.js';
import { DeviceMessageDecoder, encodeResponseFrame } from '../src/codec/frames.js';
import { INTERVAL_LAYOUT_52 } from '../src/config/example-map.js';

function rate(label: string, n: number, ms: number, unit: string): void {
  console.log(`${label.padEnd(52)} ${(n / (ms / 1000)).toFixed(0).padStart(12)} ${unit}/s  (${n} in ${ms.toFixed(0)} ms)`);
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

// 1. value decode (Index: bigint arithmetic; Float: exact binary32 rounding)
const idx = Uint8Array.from(Buffer.from('47940300c069da05', 'hex'));
const flt = Uint8Array.from(Buffer.from('66e6f642', 'hex'));
const N = 200_000;
rate('decodeValue Index', N, time(() => { for (let i = 0; i < N; i++) decodeValue('Index', idx); }), 'values');
rate('decodeValue Float', N, time(() => { for (let i = 0; i < N; i++) decodeValue('Float', flt); }), 'values');

// 2. record decode with pulse-weight scaling (52-byte interval layout, README §9.6)
const rec = Uint8Array.from(Buffer.from('0f0000c08e527800e80300007800e8030000e2042d050705f503fc03f803950109028e01fe0100000000e001d70140bb8e520000', 'hex'));
const pw = ExactDecimal.from('0.1');
const R = 50_000;
rate('decodeRecord interval 52 B (pulse scaled)', R, time(() => { for (let i = 0; i < R; i++) decodeRecord(rec, INTERVAL_LAYOUT_52, pw); }), 'records');

// 3. streaming frame decode + reassembly of a 1000-record answer, one chunk and 64-byte chunks
const stream = new Uint8Array(1000 * 52);
for (let i = 0; i < 1000; i++) stream.set(rec, i * 52);
const wire = Buffer.concat(encodeDatabaseFrames(stream, 52).map((d) => encodeResponseFrame(d)));
for (const chunk of [wire.length, 64]) {
  const reps = 50;
  const ms = time(() => {
    for (let r = 0; r < reps; r++) {
      const dec = new DeviceMessageDecoder();
      const asm = new DatabaseAssembler();
      for (let o = 0; o < wire.length; o += chunk) for (const m of dec.push(wire.subarray(o, o + chunk))) if (m.kind === 'frame') asm.push(m.data);
    }
  });
  rate(`frames→records, ${chunk === 64 ? '64-byte chunks' : 'one chunk'} (${(wire.length / 1024).toFixed(0)} KiB)`, reps * 1000, ms, 'records');
}

// 3b. the log cursor (pure): expected slots of 30 days of a 15-min log in Europe/Paris across the
// fall-back, and the policy over the same records in one batch
{
  const fromMs = Date.UTC(2020, 9, 10);
  const toMs = fromMs + 30 * 86_400_000;
  let slots: number[] = [];
  const ms = time(() => { slots = expectedLogSlots({ intervalS: 900, timeZone: 'Europe/Paris', fromMs, toMs }); });
  rate('expectedLogSlots 30 d of 15 min, Europe/Paris', slots.length, ms, 'slots');
  const entries = slots.map((t, i) => ({ deviceTime: dateToCorusDateTime(new Date(t), 'Europe/Paris'), key: String(i) }));
  rate('decideLogRecords 30 d of 15 min, Europe/Paris', entries.length, time(() => { decideLogRecords(entries, undefined, { timeZone: 'Europe/Paris', intervalS: 900 }); }), 'records');
}

// 4. log read through the session against the simulator (30 days of 15-min records)
const days = 30;
const sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: 96 * days, seed: 3 });
const session = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0, logChunkS: 86_400 });
const t = performance.now();
let n = 0;
for await (const _r of session.readLog('interval', { since: new Date(Date.UTC(2020, 8, 7, 12, 15)), until: new Date(Date.UTC(2020, 9, 7, 12, 0)) })) n++;
const ms = performance.now() - t;
rate(`readLog via simulator (${days} d, 1-day windows, ${sim.stats.databaseRequests} requests)`, n, ms, 'records');
await session.close();
await sim.close();

// 5. the price of the stale-answer guard: sequential one-parameter reads on one link (README "Stale answers")
for (const answerSettleMs of [0, 10, 50]) {
  const s = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, seed: 3 });
  const link = await CorusLink.open(tcpTransport({ host: s.host, port: s.port })(), { timeouts: { answerSettleMs } });
  const reads = 40;
  const t0 = performance.now();
  for (let i = 0; i < reads; i++) await link.readParameters([{ id: 200, class: 'Float' }]);
  rate(`readParameters round trips, answerSettleMs ${answerSettleMs}`, reads, performance.now() - t0, 'reads');
  await link.close();
  await s.close();
}
