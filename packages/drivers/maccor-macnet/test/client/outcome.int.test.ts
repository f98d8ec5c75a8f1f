/**
 * The outcome each failed command carries (`error.outcome`, core `CommandOutcome`): `not_sent` when
 * nothing was written, `refused` when the tester answered and refused, `unknown` when the request was
 * written and no valid answer came back (the tester may have executed it). Against the simulator,
 * through a relay that swallows the replies once a chosen request has passed (the request reaches the
 * tester and is applied; the answer never comes back).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MaccorClient } from '../../src/client/client.js';
import { startMaccorSimulator } from '../../src/simulator/simulator.js';
import type { MaccorSimulator } from '../../src/simulator/simulator.js';
import type { SafetyLimits } from '../../src/codec/commands.js';

const safety: SafetyLimits = { max_voltage_v: 4.25, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 25, max_discharge_power_w: 25 };
const start = { testName: 'cell-a', procName: 'proc_a', comment: '', crate: 2.5, safety };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** A TCP relay to `target` that drops every reply after a request matching `muteAfter` went through. */
async function relay(target: number, muteAfter: RegExp): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    let muted = false;
    const up = net.createConnection({ host: '127.0.0.1', port: target });
    sockets.add(c).add(up);
    c.on('data', (d) => {
      if (muteAfter.test(d.toString('utf8'))) muted = true;
      up.write(d);
    });
    up.on('data', (d) => {
      if (!muted) c.write(d);
    });
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as net.AddressInfo).port;
}

async function simulator(): Promise<MaccorSimulator> {
  const sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 3 });
  cleanup.push(() => sim.close());
  return sim;
}

function client(port: number, requestTimeoutMs = 300): MaccorClient {
  const c = new MaccorClient({ host: '127.0.0.1', jsonPort: port, requestTimeoutMs });
  cleanup.push(() => c.close());
  return c;
}

async function caught(p: Promise<unknown>): Promise<Error & { code: string; outcome: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string; outcome: unknown };
  }
  throw new Error('expected a rejection');
}

describe('Client > MaccorClient > outcome of failed commands', () => {
  it('not_sent: argument checks, a channel beyond TestChannels, no listener, queued when closed', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.getGeneralInfo();
    expect(await caught(c.setVariable(1, 16, 1))).toMatchObject({ code: 'BB_MACCOR_INVALID_ARGUMENT', outcome: 'not_sent' });
    expect(await caught(c.reset(5))).toMatchObject({ code: 'BB_MACCOR_CHANNEL_OUT_OF_RANGE', outcome: 'not_sent' });
    expect(await caught(c.startTest(1, { ...start, comment: 'x'.repeat(81) }))).toMatchObject({ code: 'BB_MACCOR_INVALID_ARGUMENT', outcome: 'not_sent' });
    expect(sim.requests.filter((q) => q.fclass === 6)).toHaveLength(0);

    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    expect(await caught(client(closedPort).reset(1))).toMatchObject({ code: 'BB_MACCOR_CONNECT_FAILED', outcome: 'not_sent' });

    const slow = await startMaccorSimulator({ port: 0, channels: 2, serviceTimeMs: 200 });
    cleanup.push(() => slow.close());
    const c2 = client(slow.port, 2000);
    const inFlight = caught(c2.setVariable(1, 1, 1));
    await new Promise((r) => setTimeout(r, 50)); // written, waiting for the answer
    const queued = caught(c2.setVariable(2, 1, 1));
    c2.close();
    expect(await queued).toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED', outcome: 'not_sent' });
    expect(await inFlight).toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED', outcome: 'unknown' });
  });

  it('refused: a non-OK Result, a JSON-RPC error, a start pre-check the tester fails', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    expect(await caught(c.suspend(1))).toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', outcome: 'refused' });
    expect(await caught(c.call({ FClass: 6, FNum: 9, Chan: 0, VarNum: 1 }, { priority: 'command' }))).toMatchObject({ code: 'BB_MACCOR_RPC_ERROR', outcome: 'refused' });
    expect(await caught(c.startTest(1, { ...start, procName: 'nope' }))).toMatchObject({ code: 'BB_MACCOR_PROCEDURE_MISSING', outcome: 'refused' });
    sim.setChannel(2, { stat: 2 });
    expect(await caught(c.startTest(2, start))).toMatchObject({ code: 'BB_MACCOR_CHANNEL_NOT_AVAILABLE', outcome: 'refused' });
    expect(sim.requests.filter((q) => q.fclass === 6 && q.fnum === 2)).toHaveLength(0);
  });

  it('unknown: (6,9) set variable written, answer lost → BB_MACCOR_TIMEOUT saying the tester may have executed it (it did)', async () => {
    const sim = await simulator();
    const c = client(await relay(sim.port, /"FClass":6,"FNum":9,/));
    const err = await caught(c.setVariable(2, 3, 7.5));
    expect(err).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', outcome: 'unknown', retriable: true });
    expect(err.message).toBe('no reply to 6,9 within 300 ms; the request was sent: the tester may have executed it');
    expect(sim.channel(2).vars[2]).toBe(7.5);
  });

  it('unknown: (6,5) reset written, answer lost', async () => {
    const sim = await simulator();
    sim.setChannel(1, { stat: 4 });
    const c = client(await relay(sim.port, /"FClass":6,"FNum":5,/));
    expect(await caught(c.reset(1))).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', outcome: 'unknown' });
    expect(sim.channel(1).stat).toBe(0);
  });

  it('unknown: the (6,2) start itself written, answer lost → the test did start', async () => {
    const sim = await simulator();
    const c = client(await relay(sim.port, /"FClass":6,"FNum":2,/));
    const err = await caught(c.startTest(3, start));
    expect(err).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', outcome: 'unknown' });
    expect(err.message).toMatch(/^no reply to 6,2 within 300 ms; the request was sent: the tester may have executed it$/);
    expect(sim.channel(3)).toMatchObject({ stat: 2, testName: 'cell-a' });
  });

  it('not_sent: a start whose pre-check (1,3) goes unanswered never sends (6,2)', async () => {
    const sim = await simulator();
    const c = client(await relay(sim.port, /"FClass":1,"FNum":3,/));
    expect(await caught(c.startTest(3, start))).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', outcome: 'not_sent' });
    expect(sim.requests.filter((q) => q.fclass === 6 && q.fnum === 2)).toHaveLength(0);
  });

  it('unknown: the tester closes the connection with (6,4) in flight', async () => {
    const closer = net.createServer((s) => s.on('data', () => s.end()));
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => closer.close(() => r())));
    const err = await caught(client((closer.address() as net.AddressInfo).port, 5000).resume(1));
    expect(err).toMatchObject({ code: 'BB_MACCOR_CONNECTION_CLOSED', outcome: 'unknown' });
    expect(err.message).toMatch(/closed the connection during a request; the request was sent: the tester may have executed it$/);
  });
});
