/**
 * Encode/decode throughput of `readingSerde` (single-object encoding of io.busbar.v1.Reading),
 * printed as records/s. Not an assertion: run with `npm run bench -w @busbar/avro`.
 */
import { readingSerde, type ReadingInput } from '@busbar/avro';

const reading: ReadingInput = {
  device_id: 'arbin-bt2000-01', protocol: 'arbin-cti', channel: 12, timestamp: new Date('2024-03-01T12:00:00.123Z'),
  values: { voltage_v: 3.6543, current_a: -1.25, power_w: -4.567, capacity_ah: 1.2345, energy_wh: 4.321, temperature_c: 25.1, time_s: 3600.5 },
  states: { status: 'Charge', schedule_name: 'cc-cv.sdx', test_name: 'cell-042', step_name: 'CC charge' },
  quality: 'GOOD', sequence: 123456,
};

function measure(name: string, n: number, f: () => void): void {
  for (let i = 0; i < Math.min(n, 20_000); i++) f(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${name.padEnd(28)} ${Math.round(n / s).toLocaleString('en-US').padStart(12)} records/s  (${n} in ${s.toFixed(3)} s)`);
}

const n = Number(process.env['BENCH_N'] ?? 300_000);
const bytes = readingSerde.encode(reading);
console.log(`Reading: ${bytes.length} bytes single-object encoded (7 values, 4 states); node ${process.version}`);
measure('readingSerde.encode', n, () => readingSerde.encode(reading));
measure('readingSerde.decode', n, () => readingSerde.decode(bytes));
measure('encode + decode', n, () => readingSerde.decode(readingSerde.encode(reading)));
