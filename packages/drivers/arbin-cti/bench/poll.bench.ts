/**
 * How many channels one client polls per second against the simulator (loopback):
 * one get-channels-info per channel vs one all-channels (−1) request for 64 channels.
 * Run: npm run bench -w packages/drivers/arbin-cti
 */
import { ArbinCtiClient, startArbinSimulator } from '../src/index.js';

const CHANNELS = 64;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);

async function measure(client: ArbinCtiClient, mode: 'per-channel' | 'all'): Promise<{ channelsPerS: number; requestsPerS: number; cycleMs: number }> {
  const list = Array.from({ length: CHANNELS }, (_, i) => i + 1);
  let cycles = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION_MS) {
    await client.getChannels(list, { mode });
    cycles++;
  }
  const s = (performance.now() - t0) / 1000;
  return { channelsPerS: (cycles * CHANNELS) / s, requestsPerS: (cycles * (mode === 'all' ? 1 : CHANNELS)) / s, cycleMs: (s * 1000) / cycles };
}

const sim = await startArbinSimulator({ channels: CHANNELS, username: 'bench', password: 'bench', tickMs: 100 });
const client = new ArbinCtiClient({ host: sim.host, port: sim.port, credentials: { username: 'bench', password: 'bench' } });
await client.connect();
await client.getChannels([1], {}); // warm-up
for (const mode of ['per-channel', 'all'] as const) {
  const r = await measure(client, mode);
  console.log(`${mode.padEnd(12)} ${CHANNELS} channels: ${r.channelsPerS.toFixed(0)} channels/s, ${r.requestsPerS.toFixed(0)} requests/s, one full poll of ${CHANNELS} channels = ${r.cycleMs.toFixed(2)} ms`);
}
await client.close();
await sim.close();
