/**
 * Interop: pymacnet 1.1.3's ChannelInterface (a client nobody here wrote) against our simulator with
 * its DEFAULT options (Maccor MacNet reference §3, §6.10, §11). pymacnet reads a reply until the bytes
 * received so far end with CR LF, so it needs each reply in one piece (an inner CR LF at the end of a
 * `recv()` cuts it short, reference §11 "Hangs"), and it counts a (6,8) as applied only on
 * `"Result": "OK"` (reference §6.10 example). Run: `bash scripts/peers/setup-venv.sh` first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startMaccorSimulator } from '../../src/simulator/simulator.js';
import type { MaccorSimulator } from '../../src/simulator/simulator.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const python = process.env['BUSBAR_PEERS_PYTHON'] ?? `${repoRoot}.venv/peers/bin/python`;
const script = fileURLToPath(new URL('pymacnet_client.py', import.meta.url));
const READS = 200;

let sim: MaccorSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('Interop > pymacnet ChannelInterface vs the simulator (default options)', () => {
  it(`${READS} status reads, a direct-control start and a JSON (6,8) all succeed as pymacnet judges them`, async () => {
    if (!existsSync(python)) throw new Error(`peer Python not found at ${python}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
    sim = await startMaccorSimulator({ port: 0, binaryPort: 0, channels: 4, seed: 11 });
    const { stdout } = await run(python, [script, sim.host, String(sim.port), String(sim.binaryPort), '2', String(READS)], { timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(out).toEqual({ numChannels: 4, goodReads: READS, failedReads: 0, started: true, setOutput: true });
    expect(sim.channel(2).direct).toMatchObject({ current_a: 0.5 });
    const setOutputs = sim.requests.filter((q) => q.fclass === 6 && q.fnum === 8);
    expect(setOutputs.map((q) => [q.chan, q.params['ChMode']])).toEqual([[1, 'C']]);
  }, 90_000);
});
