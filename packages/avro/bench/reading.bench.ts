/**
 * Encode/decode throughput of io.busbar.v1.Reading in both framings, side by side, printed as
 * records/s. Not an assertion: run with `npm run bench -w @busbar/avro` (after `npm run build -w @busbar/avro`).
 *
 * - single-object: `readingSerde` (`C3 01` + CRC-64-AVRO fingerprint + body);
 * - confluent: `AvroFraming` encoder/decoder (`00` + schema id + body) once the id is known. The
 *   registry is a stand-in answering from memory: it is asked once per id and process (at start,
 *   `ready()`/`prepare()`), so the per-record cost does not include it — the real registry is measured
 *   by the integration tests, not here.
 */
import { AvroFraming, readingSerde, type ReadingInput } from '@busbar/avro';
import { type SchemaRegistryApi } from '../src/registry/client.js';

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
  console.log(`${name.padEnd(34)} ${Math.round(n / s).toLocaleString('en-US').padStart(12)} records/s  (${n} in ${s.toFixed(3)} s)`);
}

const inMemoryRegistry: SchemaRegistryApi = {
  url: 'memory:',
  register: () => Promise.resolve(1),
  lookup: () => Promise.resolve(1),
  setCompatibility: () => Promise.resolve(),
  schemaById: () => Promise.resolve(JSON.stringify(readingSerde.schema().json)),
  close: () => Promise.resolve(),
};

const n = Number(process.env['BENCH_N'] ?? 300_000);
const framing = new AvroFraming({ framing: 'confluent', registry: inMemoryRegistry });
const confluentEncoder = framing.encoder(readingSerde, 'busbar.readings.v1');
await confluentEncoder.ready();
const decoder = framing.decoder(readingSerde);
const single = readingSerde.encode(reading);
const confluent = confluentEncoder.encode(reading);
await decoder.prepare([confluent]);
console.log(`Reading (7 values, 4 states): single-object ${single.length} bytes, confluent ${confluent.length} bytes; node ${process.version}`);
measure('single-object encode', n, () => readingSerde.encode(reading));
measure('confluent encode', n, () => confluentEncoder.encode(reading));
measure('single-object decode', n, () => readingSerde.decode(single));
measure('confluent decode', n, () => decoder.decode(confluent));
measure('single-object via dual decoder', n, () => decoder.decode(single));
measure('single-object encode + decode', n, () => readingSerde.decode(readingSerde.encode(reading)));
measure('confluent encode + decode', n, () => decoder.decode(confluentEncoder.encode(reading)));
