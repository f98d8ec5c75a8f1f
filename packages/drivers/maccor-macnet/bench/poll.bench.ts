/**
 * How many channels one client can poll at 1 Hz against the simulator with a modelled tester service
 * time of 30 ms per request (Maccor MacNet reference §2: ~30-35 ms, serialized). Two strategies:
 * per-channel (4,7) reads, and bulk (4,1)+(4,2)+(4,3)+(4,9) in ≤ 128-channel requests.
 * Run: npm run bench -w @busbar/driver-maccor-macnet   (prints figures; no assertions)
 */
import { MaccorClient, startMaccorSimulator } from '../src/index.js';

const SERVICE_MS = Number(process.env['MACCOR_BENCH_SERVICE_MS'] ?? 30);

async function cycleMs(channels: number, mode: 'per-channel' | 'bulk'): Promise<number> {
  const sim = await startMaccorSimulator({ port: 0, channels, seed: 1, serviceTimeMs: SERVICE_MS, splitReplies: true });
  const client = new MaccorClient({ host: sim.host, jsonPort: sim.port, requestTimeoutMs: 30_000 });
  try {
    await client.getGeneralInfo();
    const cycles = 2;
    const t0 = performance.now();
    for (let c = 0; c < cycles; c++) {
      if (mode === 'per-channel') for (let ch = 1; ch <= channels; ch++) await client.readChannel(ch);
      else {
        await client.readStatuses();
        await client.readVoltages();
        await client.readCurrents();
        await client.readTestTimes();
      }
    }
    return (performance.now() - t0) / cycles;
  } finally {
    client.close();
    await sim.close();
  }
}

console.log(`MacNet polling, one client, simulator service time ${SERVICE_MS} ms/request`);
console.log('channels  mode          cycle_ms  max_rate_hz  fits_1Hz');
for (const channels of [8, 32, 64, 128, 256]) {
  for (const mode of ['per-channel', 'bulk'] as const) {
    if (mode === 'per-channel' && channels > 64) {
      console.log(`${String(channels).padStart(8)}  ${mode.padEnd(12)}  ${'(~' + (channels * SERVICE_MS) + ' est.)'}`);
      continue;
    }
    const ms = await cycleMs(channels, mode);
    console.log(`${String(channels).padStart(8)}  ${mode.padEnd(12)}  ${ms.toFixed(1).padStart(8)}  ${(1000 / ms).toFixed(2).padStart(11)}  ${ms <= 1000 ? 'yes' : 'no'}`);
  }
}
