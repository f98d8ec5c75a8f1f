/**
 * Interop: our client against pymacnet 1.1.3's MaccorSpoofer (Maccor MacNet reference §13-§14).
 * The spoofer is a weak oracle: it answers "OK" to every command and only echoes binary frames, so
 * these tests check that our requests are accepted and its replies decode; the strict behaviour is
 * covered against the TypeScript simulator. One spoofer per process (its channel store is class-level).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaccorClient } from '../src/client/client.js';
import type { SafetyLimits } from '../src/codec/commands.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const python = process.env['BUSBAR_PEERS_PYTHON'] ?? `${repoRoot}.venv/peers/bin/python`;
const script = fileURLToPath(new URL('peers/maccor_spoofer.py', import.meta.url));
const CHANNELS = 2; // its (4,1) reply is fixed at Chan 0, Len 2 (reference §13), so 2 channels = all channels

let peer: ChildProcessWithoutNullStreams;
let lines: AsyncIterator<string>;
let client: MaccorClient;
const safety: SafetyLimits = { max_voltage_v: 4.25, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 25, max_discharge_power_w: 25 };

async function nextLine(): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error('spoofer exited');
  return r.value;
}

beforeAll(async () => {
  if (!existsSync(python)) throw new Error(`peer Python not found at ${python}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  peer = spawn(python, [script, String(CHANNELS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  peer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  lines = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
  const ready = await Promise.race([nextLine(), new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`spoofer not ready: ${stderr}`)), 20_000))]);
  const [word, jsonPort, binPort] = ready.split(' ');
  expect(word).toBe('READY');
  client = new MaccorClient({ host: '127.0.0.1', jsonPort: Number(jsonPort), binaryPort: Number(binPort), requestTimeoutMs: 3000, restVia: 'binary' });
}, 30_000);

afterAll(async () => {
  client?.close();
  if (peer) {
    peer.stdin.end();
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        peer.kill('SIGTERM');
        r();
      }, 5000);
      peer.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
});

describe('Interop > MaccorSpoofer (pymacnet 1.1.3)', () => {
  it('(1,1) system info decodes (misspelled DLL-minor key accepted)', async () => {
    const v = await client.getVersionInfo();
    expect(v.apiVersion).toBeTypeOf('number');
    expect(v.dllVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('(1,2) general info decodes; TestChannels is what the spoofer was given', async () => {
    const g = await client.getGeneralInfo();
    expect([g.testChannels, g.systemType]).toEqual([CHANNELS, 0]);
  });
  it('(4,1) all-channel status decodes with 1-based channels', async () => {
    const s = await client.readStatuses();
    expect(s.map((x) => x.channel)).toEqual([1, 2]);
    expect(s[0]?.stat_name).toBe('Available');
  });
  it('(4,7) reading decodes and follows updates made through the spoofer API', async () => {
    peer.stdin.write(JSON.stringify({ chan: 1, set: { Voltage: 3.91, Current: 1.5, Stat: 2, RF1: 1 } }) + '\n');
    expect(await nextLine()).toBe('OK');
    const r = await client.readChannel(2);
    expect([r.channel, r.channelIndex0, r.voltage_v, r.current_a, r.stat_name, r.rf1_name]).toEqual([2, 1, 3.91, 1.5, 'Active', 'Charge']);
    peer.stdin.write(JSON.stringify({ chan: 1, set: { Stat: 0, RF1: 0, Current: 0 } }) + '\n');
    expect(await nextLine()).toBe('OK');
  });
  it('a channel beyond TestChannels is refused locally (the spoofer would crash on Chan == num_channels)', async () => {
    await expect(client.readChannel(CHANNELS + 1)).rejects.toMatchObject({ code: 'BB_MACCOR_CHANNEL_OUT_OF_RANGE' });
  });
  it('(4,4) aux values decode', async () => {
    expect(await client.readAux(1)).toEqual([24.75]);
  });
  it('start test: (6,10) echo verified, (6,2) OK; pre-checks the spoofer lacks are reported as skipped', async () => {
    const out = await client.startTest(1, { testName: 'busbar-interop', procName: 'proc_a', comment: 'interop', crate: 2.5, safety, preflight: 'if_supported' });
    expect(out.safetyEcho).toEqual(safety);
    expect(out.checksSkipped).toEqual(['(1,3) procedure exists', '(1,4) test name exists', '(6,11) check test start']);
  });
  it('start test with preflight "required" refuses when the peer cannot run (1,3)', async () => {
    await expect(client.startTest(1, { testName: 'x', procName: 'proc_a', comment: '', crate: 1, safety })).rejects.toMatchObject({ code: 'BB_MACCOR_FUNCTION_UNSUPPORTED' });
  });
  it('(6,9) set variable', async () => {
    await expect(client.setVariable(2, 3, -1.25)).resolves.toBeUndefined();
  });
  it('direct control: (6,7) start, (6,8) JSON set-point, binary rest frame on the correct channel', async () => {
    await client.startDirectControl(2, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await client.setDirectOutput(2, { mode: 'charge', current_a: 0.5, voltage_v: 4.2 });
    await new Promise((r) => setTimeout(r, 110));
    // the spoofer echoes the binary frame; our decoder checks it names (6,8) and wire Chan 1
    await expect(client.setDirectOutput(2, { mode: 'rest' })).resolves.toBeUndefined();
  });
  it('functions the spoofer lacks come back as BB_MACCOR_FUNCTION_UNSUPPORTED, and the connection survives', async () => {
    await expect(client.echo()).rejects.toMatchObject({ code: 'BB_MACCOR_FUNCTION_UNSUPPORTED' });
    await expect(client.suspend(1)).rejects.toMatchObject({ code: 'BB_MACCOR_FUNCTION_UNSUPPORTED' });
    expect((await client.readChannel(1)).channel).toBe(1);
  });
});
