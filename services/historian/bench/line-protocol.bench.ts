/**
 * Micro-benchmark of the historian's hot path, `npm run bench -w @busbar/historian`:
 * - CPU per 100k readings (18 floats, a state, 4 tags — the bench:compare reading) to map and write
 *   line protocol: the direct writer (fast path of `readingToPoint`) against the same mapping into
 *   the client library's `Point` objects (what the historian did before);
 * - the gzip levels of a 5000-line write request: CPU per request and bytes (how `influx.gzipLevel`
 *   was chosen: README "Performance").
 * CPU time (process.cpuUsage), not wall time: steadier on a shared machine. Bounded: 50k readings, 5 rounds.
 */
import { gzipSync } from 'node:zlib';
import { Point } from '@influxdata/influxdb-client';
import { readingSerde } from '@busbar/avro';
import type { Reading } from '@busbar/avro';
import { readingToPoint } from '../src/points.js';
import type { PointBuilder } from '../src/line-protocol.js';

const names = ['voltage_v', 'current_a', 'power_w', 'charge_ah', 'discharge_ah', 'energy_wh', 'discharge_wh', 'temperature_c', 'aux_temperature_c', 'internal_resistance_ohm', 'dv_dt_v_per_s', 'step_time_s', 'test_time_s', 'cycle_index', 'step_index', 'set_point_a', 'set_point_v', 'pressure_pa'];
const readings: Reading[] = [];
for (let i = 0; i < 50_000; i++) {
  const values: Record<string, number> = {};
  names.forEach((n, k) => (values[n] = Math.round((Math.sin(i * 0.001 + k) * 100 + k) * 1e6) / 1e6));
  readings.push(readingSerde.decode(readingSerde.encode({ device_id: `cycler-${i % 100}`, protocol: 'arbin-cti', record_type: 'cycler_channel', channel: 1 + (i % 8), timestamp: new Date(Date.UTC(2026, 0, 1) + i), values, states: { status: 'Charge' }, quality: 'GOOD', sequence: i })));
}
const cpuMs = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const oracle = (m: string): PointBuilder => new Point(m) as unknown as PointBuilder;

const direct: number[] = [];
const viaPoint: number[] = [];
let sink = 0;
for (let round = 0; round < 5; round++) {
  direct.push(cpuMs(() => readings.forEach((r) => (sink += readingToPoint(r).point!.toLineProtocol()!.length))) * 2);
  viaPoint.push(cpuMs(() => readings.forEach((r) => (sink += readingToPoint(r, oracle).point!.toLineProtocol()!.length))) * 2);
}
console.log(`map + line protocol, CPU ms per 100k readings (median of 5): direct ${median(direct).toFixed(0)}, client Point ${median(viaPoint).toFixed(0)} → ${(median(viaPoint) / median(direct)).toFixed(2)}× faster`);

const body = Buffer.from(readings.slice(0, 5000).map((r) => readingToPoint(r).point!.toLineProtocol()).join('\n'));
for (const level of [1, 3, 6, 9]) {
  let size = 0;
  const ms = median(Array.from({ length: 5 }, () => cpuMs(() => (size = gzipSync(body, { level }).length))));
  console.log(`gzip level ${level}: ${ms.toFixed(1)} ms CPU per 5000-line request, ${(body.length / 1024).toFixed(0)} KiB → ${(size / 1024).toFixed(0)} KiB (${((size / body.length) * 100).toFixed(1)} %)`);
}
if (sink < 0) console.log(sink);
