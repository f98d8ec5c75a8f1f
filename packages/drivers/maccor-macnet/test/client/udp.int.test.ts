/**
 * Binary (6,8) over UDP (Maccor MacNet reference §2, §5, §8.4): the client against the simulator's UDP
 * listener, and against a raw `node:dgram` peer that checks the datagram bytes against hand-built vectors
 * (test/vectors/udp.json) and answers, or swallows, as each test needs. Loopback, ephemeral ports.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { MaccorClient } from '../../src/client/client.js';
import type { MaccorClientOptions } from '../../src/client/client.js';
import { startMaccorSimulator } from '../../src/simulator/simulator.js';
import type { MaccorSimulator, MaccorSimulatorOptions } from '../../src/simulator/simulator.js';
import { MaccorError } from '../../src/errors.js';
import type { SafetyLimits } from '../../src/codec/commands.js';
import { datagram, udpVectors } from '../vectors/load.js';

const safety: SafetyLimits = { max_voltage_v: 4.25, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 25, max_discharge_power_w: 25 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** One datagram a {@link RawPeer} received. */
interface Received {
  readonly hex: string;
  readonly address: string;
  readonly port: number;
}

/** A bare UDP socket on loopback: records every datagram, sends hand-built hex. */
class RawPeer {
  readonly received: Received[] = [];
  private cursor = 0;
  private wake: (() => void) | undefined;
  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      this.received.push({ hex: msg.toString('hex'), address: rinfo.address, port: rinfo.port });
      this.wake?.();
    });
  }
  static async open(address = '127.0.0.1'): Promise<RawPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0, address }, () => resolve());
    });
    const peer = new RawPeer(socket);
    cleanup.push(() => peer.close());
    return peer;
  }
  get port(): number {
    return this.socket.address().port;
  }
  /** The next datagram not yet taken, waiting up to `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.received.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
    return this.received[this.cursor++] as Received;
  }
  send(hex: string, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(Buffer.from(hex, 'hex'), port, address, (err) => (err ? reject(err) : resolve())));
  }
  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

async function simSetup(opts: MaccorSimulatorOptions = {}, client: Partial<MaccorClientOptions> = {}): Promise<{ sim: MaccorSimulator; client: MaccorClient; clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = await startMaccorSimulator({ port: 0, udpPort: 0, channels: 8, seed: 11, clock, ...opts });
  const c = new MaccorClient({ host: sim.host, jsonPort: sim.port, binaryPort: sim.binaryPort, udpPort: sim.udpPort, restVia: 'binary-udp', requestTimeoutMs: 2000, ...client });
  cleanup.push(() => sim.close(), () => c.close());
  return { sim, client: c, clock };
}

/** A client whose rest set-points go to `peer` over UDP (the JSON port is never used). */
function clientTo(peer: RawPeer, requestTimeoutMs = 2000): MaccorClient {
  const c = new MaccorClient({ host: '127.0.0.1', jsonPort: 1, udpPort: peer.port, restVia: 'binary-udp', requestTimeoutMs });
  cleanup.push(() => c.close());
  return c;
}

const hex = (group: 'requests' | 'replies' | 'malformed', name: string): string => datagram(group, name).hex;

describe('Client > binary UDP > rest set-point applied by the simulator', () => {
  it('rest over UDP puts a direct-mode channel at rest; one UDP (6,8) on wire Chan 2, nothing over JSON', async () => {
    const { sim, client, clock } = await simSetup();
    expect(sim.udpPort).toBeGreaterThan(0);
    await client.startDirectControl(3, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    clock.advance(150);
    await client.setDirectOutput(3, { mode: 'charge', current_a: 1.5, voltage_v: 4.2 });
    clock.advance(150);
    expect(sim.channel(3).current_a).toBeCloseTo(1.5, 3);
    await client.setDirectOutput(3, { mode: 'rest' });
    clock.advance(150);
    const c = sim.channel(3);
    expect([c.direct?.mode, c.current_a, c.rf1, c.stat]).toEqual(['R', 0, 4, 2]);
    const outputs = sim.requests.filter((q) => q.fclass === 6 && q.fnum === 8);
    expect(outputs.map((q) => [q.transport, q.chan])).toEqual([
      ['json', 2],
      ['binary-udp', 2],
    ]);
    expect(sim.droppedDatagrams).toEqual([]);
    expect(client.lastDirectSetpoint(3)).toEqual({ mode: 'rest' });
  });

  it('the simulator applies the TCP rules over UDP: Result 5 not ready, 3 too fast (< 100 ms), 4 not in direct mode', async () => {
    const { sim, client, clock } = await simSetup();
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await expect(client.setDirectOutput(1, { mode: 'rest' })).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 5 });
    clock.advance(150);
    await client.setDirectOutput(1, { mode: 'rest' });
    clock.advance(99);
    await expect(client.setDirectOutput(1, { mode: 'rest' })).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 3, meaning: expect.stringContaining('100 ms') });
    clock.advance(1);
    await client.setDirectOutput(1, { mode: 'rest' });
    await expect(client.setDirectOutput(6, { mode: 'rest' })).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 4 });
    expect(sim.requests.filter((q) => q.transport === 'binary-udp').map((q) => q.chan)).toEqual([0, 0, 0, 0, 5]);
  });

  it('restVia "binary" (the older name) and "binary-tcp" still send rest over TCP, "json" over JSON', async () => {
    for (const restVia of ['binary', 'binary-tcp', 'json'] as const) {
      const { sim, client, clock } = await simSetup({ binaryPort: 0 }, { restVia });
      await client.startDirectControl(2, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
      clock.advance(150);
      await client.setDirectOutput(2, { mode: 'rest' });
      const rest = sim.requests.filter((q) => q.fclass === 6 && q.fnum === 8);
      expect(rest.map((q) => [q.transport, q.chan])).toEqual([[restVia === 'json' ? 'json' : 'binary', 1]]);
      expect(sim.channel(2).direct?.mode).toBe('R');
    }
  });

  it('an unknown restVia is refused when the client is built', () => {
    expect(() => new MaccorClient({ host: '127.0.0.1', restVia: 'udp' as never })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
  });
});

describe('Simulator > binary UDP > strictness', () => {
  it('drops every datagram that is not exactly one frame (no reply, no effect) and answers the next valid one', async () => {
    const { sim } = await simSetup();
    const peer = await RawPeer.open();
    const udpPort = sim.udpPort as number;
    for (const bad of udpVectors.malformed) await peer.send(bad.hex, udpPort);
    // channel 5 is not in direct mode: the valid rest frame is answered with Result 4
    await peer.send(hex('requests', '(6,8) rest, channel 5 (wire Chan 4)'), udpPort);
    const first = await peer.next();
    expect(first.hex).toBe(hex('replies', '(6,8) Result 4 direct mode not active, wire Chan 4'));
    expect([first.address, first.port]).toEqual(['127.0.0.1', udpPort]);
    expect(sim.droppedDatagrams.map((d) => d.hex)).toEqual(udpVectors.malformed.map((m) => m.hex));
    expect(sim.droppedDatagrams.every((d) => d.from === `127.0.0.1:${peer.port}`)).toBe(true);
    expect(sim.droppedDatagrams.map((d) => d.reason)).toEqual([
      'datagram of 5 bytes is shorter than the 8-byte header',
      'datagram of 8 bytes but header Len 18 says 26',
      'datagram of 18 bytes but header Len 18 says 26',
      'datagram of 27 bytes but header Len 18 says 26',
    ]);
    expect(sim.requests.map((q) => [q.transport, q.fclass, q.fnum, q.chan])).toEqual([['binary-udp', 6, 8, 4]]);
    expect(sim.channel(5).stat).toBe(0);
    await sleep(30);
    expect(peer.received).toHaveLength(1);
  });
});

describe('Client > binary UDP > against a raw peer', () => {
  it('the datagram is the reference frame byte for byte, with the 0-based Chan (channel 5 → 4, channel 1 → 0)', async () => {
    const peer = await RawPeer.open();
    const client = clientTo(peer);
    for (const [channel, request, reply] of [
      [5, '(6,8) rest, channel 5 (wire Chan 4)', '(6,8) Result 0 OK, wire Chan 4'],
      [1, '(6,8) rest, channel 1 (wire Chan 0)', '(6,8) Result 0 OK, wire Chan 0'],
    ] as const) {
      const done = client.setDirectOutput(channel, { mode: 'rest' });
      const got = await peer.next();
      expect(got.hex).toBe(hex('requests', request));
      expect(got.address).toBe('127.0.0.1');
      await peer.send(hex('replies', reply), got.port);
      await expect(done).resolves.toBeUndefined();
    }
    expect(peer.received).toHaveLength(2);
  });

  it('a peer that swallows: BB_MACCOR_UDP_NO_REPLY, outcome unknown, sent once and never re-sent', async () => {
    const peer = await RawPeer.open();
    const client = clientTo(peer, 150);
    const started = Date.now();
    const err = await client.setDirectOutput(5, { mode: 'rest' }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toBeInstanceOf(MaccorError);
    expect(err).toMatchObject({ code: 'BB_MACCOR_UDP_NO_REPLY', retriable: false, context: { function: '6,8', timeoutMs: 150, outcome: 'unknown' } });
    await sleep(200);
    expect(peer.received.map((r) => r.hex)).toEqual([hex('requests', '(6,8) rest, channel 5 (wire Chan 4)')]);
    expect(client.lastDirectSetpoint(5)).toBeUndefined();
  });

  it('after a timeout a late reply is not taken for the next request (a fresh local port is used)', async () => {
    const peer = await RawPeer.open();
    const client = clientTo(peer, 150);
    await expect(client.setDirectOutput(5, { mode: 'rest' })).rejects.toMatchObject({ code: 'BB_MACCOR_UDP_NO_REPLY' });
    const firstSend = await peer.next();
    const done = client.setDirectOutput(5, { mode: 'rest' });
    const secondSend = await peer.next();
    expect(secondSend.port).not.toBe(firstSend.port);
    // late "too fast" reply to the first request, then the real OK reply to the second
    await peer.send(hex('replies', '(6,8) Result 3 too fast, wire Chan 4'), firstSend.port);
    await peer.send(hex('replies', '(6,8) Result 0 OK, wire Chan 4'), secondSend.port);
    await expect(done).resolves.toBeUndefined();
  });

  it('replies: Result 3 → COMMAND_REJECTED, another channel → REPLY_MISMATCH, not one frame → UDP_DATAGRAM_INVALID', async () => {
    const peer = await RawPeer.open();
    const client = clientTo(peer);
    const cases = [
      ['(6,8) Result 3 too fast, wire Chan 4', { code: 'BB_MACCOR_COMMAND_REJECTED', result: 3 }],
      ['(6,8) Result 0 OK, wire Chan 5 (another channel)', { code: 'BB_MACCOR_REPLY_MISMATCH', context: { outcome: 'unknown' } }],
    ] as const;
    for (const [reply, expected] of cases) {
      const done = client.setDirectOutput(5, { mode: 'rest' }).catch((e: unknown) => e);
      const got = await peer.next();
      await peer.send(hex('replies', reply), got.port);
      expect(await done).toMatchObject(expected);
    }
    for (const bad of udpVectors.malformed) {
      const done = client.setDirectOutput(5, { mode: 'rest' }).catch((e: unknown) => e);
      const got = await peer.next();
      await peer.send(bad.hex, got.port);
      expect(await done).toMatchObject({ code: 'BB_MACCOR_UDP_DATAGRAM_INVALID', context: { outcome: 'unknown', hex: bad.hex } });
    }
    expect(peer.received).toHaveLength(cases.length + udpVectors.malformed.length);
    expect(client.lastDirectSetpoint(5)).toBeUndefined();
  });

  it('a datagram from another address is ignored; the tester reply that follows is taken', async () => {
    const peer = await RawPeer.open();
    const stranger = await RawPeer.open('127.0.0.2');
    const client = clientTo(peer);
    const done = client.setDirectOutput(5, { mode: 'rest' });
    const got = await peer.next();
    await stranger.send(hex('replies', '(6,8) Result 3 too fast, wire Chan 4'), got.port);
    await sleep(20);
    await peer.send(hex('replies', '(6,8) Result 0 OK, wire Chan 4'), got.port);
    await expect(done).resolves.toBeUndefined();
  });

  it('close() fails a request in flight with BB_MACCOR_CLIENT_CLOSED and refuses new ones', async () => {
    const peer = await RawPeer.open();
    const client = clientTo(peer);
    const done = client.setDirectOutput(5, { mode: 'rest' }).catch((e: unknown) => e);
    await peer.next();
    client.close();
    expect(await done).toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
    await expect(client.setDirectOutput(5, { mode: 'rest' })).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
  });
});
