/** The simulator on a raw socket: framing of requests, coalesced replies, JSON-RPC errors. */
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

async function exchange(port: number, writes: string[], expected: number): Promise<Record<string, unknown>[]> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const decoder = new JsonStreamDecoder();
  const out: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${expected} replies`)), 3000);
    socket.on('data', (c: Buffer) =>
      decoder.push(c, (m) => {
        out.push(m);
        if (out.length === expected) {
          clearTimeout(timer);
          resolve();
        }
      }),
    );
  });
  for (const w of writes) {
    socket.write(w);
    await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  socket.destroy();
  return out;
}

const req = (params: Record<string, unknown>, id = 1987): string => JSON.stringify({ jsonrpc: '2.0', method: 'MacNet', params, id });

describe('Simulator > JSON listener', () => {
  it('accepts requests split across writes and several requests in one write; replies come in order', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 11 });
    const a = req({ FClass: 4, FNum: 7, Chan: 0 }, 1);
    const b = req({ FClass: 4, FNum: 7, Chan: 1 }, 2);
    const c = req({ FClass: 1, FNum: 2 }, 3);
    const replies = await exchange(sim.port, [a.slice(0, 10), a.slice(10) + b, c], 3);
    expect(replies.map((r) => r['id'])).toEqual([1, 2, 3]);
    expect((replies[1]?.['result'] as Record<string, unknown>)['Chan']).toBe(1);
  });
  const errors: [string, string, string][] = [
    ['invalid JSON', '{"jsonrpc":"2.0",}', 'Parse error'],
    ['no method', JSON.stringify({ jsonrpc: '2.0', params: { FClass: 1, FNum: 1 }, id: 1 }), 'Method MacNet, jsonrpc 2.0 or id not found'],
    ['no id', JSON.stringify({ jsonrpc: '2.0', method: 'MacNet', params: { FClass: 1, FNum: 1 } }), 'Method MacNet, jsonrpc 2.0 or id not found'],
    ['no params', JSON.stringify({ jsonrpc: '2.0', method: 'MacNet', id: 1 }), 'Missing object'],
    ['no FClass', req({ FNum: 1 }), '"FClass" key does not exist or value syntax error'],
    ['bad FNum', req({ FClass: 4, FNum: 'x' }), '"FNum" key does not exist or value syntax error'],
    ['unknown FClass', req({ FClass: 9, FNum: 1 }), 'Invalid FClass'],
    ['unknown FNum', req({ FClass: 4, FNum: 99, Chan: 0 }), 'Invalid FNum'],
    ['missing Chan', req({ FClass: 4, FNum: 7 }), 'Invalid params'],
    ['Chan out of range', req({ FClass: 4, FNum: 7, Chan: 4 }), 'Illegal value'],
    ['Len over 128', req({ FClass: 4, FNum: 1, Chan: 0, Len: 129 }), 'Illegal value'],
    ['VarNum 16', req({ FClass: 6, FNum: 9, Chan: 0, VarNum: 16, Value: 1 }), 'Illegal value'],
    ['a missing safety limit', req({ FClass: 6, FNum: 10, Chan: 0, VSafeMax: 4 }), 'Invalid params'],
  ];
  for (const [name, text, message] of errors) {
    it(`answers ${name} with the JSON-RPC error "${message}"`, async () => {
      sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 5 });
      const [r] = await exchange(sim.port, [text], 1);
      expect((r?.['error'] as Record<string, unknown>)['message']).toBe(message);
    });
  }
  it('stores (6,10) limits in single precision like the tester (0.1 → 0.10000000149…)', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 1 });
    const [r] = await exchange(sim.port, [req({ FClass: 6, FNum: 10, Chan: 0, VSafeMax: 4.3, VSafeMin: 0.1, ISafeChg: 1, ISafeDis: 1, PBatSafeChg: 0, PBatSafeDis: 0 })], 1);
    const result = r?.['result'] as Record<string, number>;
    expect(result['VSafeMin']).toBe(Math.fround(0.1));
    expect(result['VSafeMin']).not.toBe(0.1);
  });
  it('enforces unique test names and "Random" naming', async () => {
    sim = await startMaccorSimulator({ port: 0, channels: 3, existingTestNames: ['dup'] });
    const start = (chan: number, name: string): string => req({ FClass: 6, FNum: 2, Chan: chan, TestName: name, ProcName: 'proc_a', Comment: '', Crate: 1 });
    const replies = await exchange(sim.port, [start(0, 'dup'), start(1, 'Random'), start(2, 'Random')], 3);
    expect(replies.map((r) => (r['result'] as Record<string, unknown>)['Result'])).toEqual([19, 'OK', 'OK']);
    expect(sim.channel(2).testName).not.toBe(sim.channel(3).testName);
  });
});
