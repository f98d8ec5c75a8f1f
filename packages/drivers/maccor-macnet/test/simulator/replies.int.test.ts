/**
 * How the simulator writes JSON replies (Maccor MacNet reference §3, §11): by default one write per
 * reply ending in CR LF, as real testers are known to (pymacnet and MacNet.py depend on it); with
 * `splitReplies` in random pieces for client framing tests. And the JSON (6,8) Result: `"OK"` on
 * success (reference §6.10 example), the binary code otherwise.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMaccorSimulator } from '../../src/simulator/simulator.js';
import type { MaccorSimulator } from '../../src/simulator/simulator.js';
import { JsonStreamDecoder } from '../../src/codec/framing.js';

let sim: MaccorSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const req = (params: Record<string, unknown>, id = 1987): string => JSON.stringify({ jsonrpc: '2.0', method: 'MacNet', params, id });

/** Sends `requests` one at a time (each after the previous reply); returns the replies and every `data` chunk. */
async function oneByOne(port: number, requests: string[]): Promise<{ replies: Record<string, unknown>[]; chunks: string[] }> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const decoder = new JsonStreamDecoder();
  const replies: Record<string, unknown>[] = [];
  const chunks: string[] = [];
  let waiting: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    chunks.push(c.toString('utf8'));
    decoder.push(c, (m) => {
      replies.push(m);
      waiting?.();
    });
  });
  for (const r of requests) {
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${r}`)), 3000);
      waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    socket.write(r);
    await answered;
  }
  socket.destroy();
  return { replies, chunks };
}

const READ = (i: number): string => req({ FClass: 4, FNum: 7, Chan: i % 4 }, i);

describe('Simulator > JSON replies on the stream', () => {
  it('default: each reply is one write that ends in CR LF (pymacnet reads until the bytes end with CR LF)', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 11 });
    const { replies, chunks } = await oneByOne(sim.port, Array.from({ length: 40 }, (_, i) => READ(i)));
    expect(replies.map((r) => r['id'])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(chunks).toHaveLength(40);
    for (const chunk of chunks) {
      expect(chunk.endsWith('\r\n')).toBe(true);
      expect(JSON.parse(chunk)).toHaveProperty('result.Chan');
    }
  });

  it('splitReplies: replies arrive in more pieces than replies and still decode in order', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 11, splitReplies: true });
    const { replies, chunks } = await oneByOne(sim.port, Array.from({ length: 40 }, (_, i) => READ(i)));
    expect(replies.map((r) => r['id'])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(chunks.length).toBeGreaterThan(40);
    expect(chunks.some((c) => !c.endsWith('\r\n'))).toBe(true);
  });

  it('JSON (6,8) success answers Result "OK"; a refusal keeps its numeric code (3: too fast)', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 1, directReadyDelayMs: 0 });
    const safety = req({ FClass: 6, FNum: 10, Chan: 0, VSafeMax: 4.3, VSafeMin: 2.5, ISafeChg: 3, ISafeDis: 3, PBatSafeChg: 25, PBatSafeDis: 25 }, 1);
    const start = req({ FClass: 6, FNum: 7, Chan: 0, TestName: 'Random', Current: 0, Voltage: 4.2, Power: 65536, Resistance: 0, CurrentRange: 4, ChMode: 'C', DataTime: 1, DataV: 0, DataI: 0 }, 2);
    const set = (id: number): string => req({ FClass: 6, FNum: 8, Chan: 0, Current: 0.5, Voltage: 4.2, Power: 65536, Resistance: 0, CurrentRange: 4, ChMode: 'C' }, id);
    const first = await oneByOne(sim.port, [safety, start]);
    expect(first.replies.map((r) => (r['result'] as Record<string, unknown>)['Result'])).toEqual([undefined, 'OK']);
    await new Promise((r) => setTimeout(r, 120)); // the 100 ms rule (reference §6.10 Result 3)
    const { replies } = await oneByOne(sim.port, [set(3), set(4)]);
    expect(replies.map((r) => (r['result'] as Record<string, unknown>)['Result'])).toEqual(['OK', 3]);
  });
});
