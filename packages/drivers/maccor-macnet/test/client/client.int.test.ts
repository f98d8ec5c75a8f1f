/** Client against the in-process TypeScript simulator on 127.0.0.1 (ephemeral ports). */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { MaccorClient } from '../../src/client/client.js';
import { startMaccorSimulator } from '../../src/simulator/simulator.js';
import type { MaccorSimulator, MaccorSimulatorOptions } from '../../src/simulator/simulator.js';
import { DirectControlEnvelope } from '../../src/control/envelope.js';
import { SetpointWatchdog } from '../../src/control/watchdog.js';
import { MaccorRpcError } from '../../src/errors.js';
import type { SafetyLimits } from '../../src/codec/commands.js';

const safety: SafetyLimits = { max_voltage_v: 4.25, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 25, max_discharge_power_w: 25 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(opts: MaccorSimulatorOptions = {}, restVia: 'json' | 'binary' = 'json'): Promise<{ sim: MaccorSimulator; client: MaccorClient }> {
  // replies split at random points: the client must frame a stream, not trust one reply per read
  const sim = await startMaccorSimulator({ port: 0, binaryPort: 0, channels: 8, seed: 7, splitReplies: true, ...opts });
  const client = new MaccorClient({ host: sim.host, jsonPort: sim.port, binaryPort: sim.binaryPort, requestTimeoutMs: 2000, restVia });
  cleanup.push(() => sim.close(), () => client.close());
  return { sim, client };
}

describe('Client > MaccorClient vs simulator > reads', () => {
  it('system info, general info, bulk and per-channel reads decode', async () => {
    const { client } = await setup({ channels: 200 });
    expect((await client.getVersionInfo()).versionsMatch).toBe(true);
    const info = await client.getGeneralInfo();
    expect(info.testChannels).toBe(200);
    const statuses = await client.readStatuses();
    expect(statuses).toHaveLength(200);
    expect(statuses.map((s) => s.channel)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect((await client.readVoltages()).every((v) => v.value > 2.5 && v.value < 4.3)).toBe(true);
    expect(await client.readCurrents(1, 3)).toEqual([{ channel: 1, value: 0 }, { channel: 2, value: 0 }, { channel: 3, value: 0 }]);
    expect(await client.readTestTimes(199, 2)).toHaveLength(2);
    const r = await client.readChannel(200);
    expect([r.channel, r.channelIndex0, r.stat_name]).toEqual([200, 199, 'Available']);
    expect(await client.echo(3)).toEqual({ FClass: 0, FNum: 3 });
  });
  it('bulk reads of more than 128 channels are chunked; the wire Chan is 0-based', async () => {
    const { sim, client } = await setup({ channels: 200 });
    await client.readStatuses(1, 200);
    await client.readChannel(5);
    const sent = sim.requests.filter((q) => q.fclass === 4);
    expect(sent.map((q) => [q.fnum, q.params['Chan'], q.params['Len']])).toEqual([
      [1, 0, 128],
      [1, 128, 72],
      [7, 4, undefined],
    ]);
  });
  it('refuses a channel outside 1..TestChannels locally (never sent)', async () => {
    const { sim, client } = await setup();
    await client.getGeneralInfo();
    const before = sim.requests.length;
    await expect(client.readChannel(9)).rejects.toMatchObject({ code: 'BB_MACCOR_CHANNEL_OUT_OF_RANGE' });
    await expect(client.readChannel(0)).rejects.toMatchObject({ code: 'BB_MACCOR_INVALID_ARGUMENT' });
    expect(sim.requests.length).toBe(before);
  });
  it('a JSON-RPC error becomes MaccorRpcError with the tester message', async () => {
    const { client } = await setup();
    const err = await client.call({ FClass: 9, FNum: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaccorRpcError);
    expect((err as MaccorRpcError).testerMessage).toBe('Invalid FClass');
    await expect(client.call({ FClass: 4, FNum: 1, Chan: 0, Len: 200 })).rejects.toMatchObject({ code: 'BB_MACCOR_RPC_ERROR', testerMessage: 'Illegal value' });
    // the connection still works
    expect((await client.readChannel(1)).channel).toBe(1);
  });
});

describe('Client > MaccorClient vs simulator > procedure tests and variables', () => {
  it('startTest runs the safe sequence and the channel starts', async () => {
    const { sim, client } = await setup();
    const out = await client.startTest(3, { testName: 'cell-3-a', procName: 'CCCV_0.5C', comment: 'busbar', crate: 2.5, safety });
    expect(out.checksRun).toEqual(['(1,3) procedure exists', '(1,4) test name exists', '(6,11) check test start']);
    const seq = sim.requests.map((q) => `${q.fclass},${q.fnum}`);
    expect(seq).toEqual(['4,7', '1,3', '1,4', '6,10', '6,11', '6,2']);
    expect(sim.requests.every((q) => q.chan === undefined || q.chan === 2)).toBe(true);
    await sleep(30);
    const r = await client.readChannel(3);
    expect([r.stat_name, r.rf1_name]).toEqual(['Active', 'Charge']);
    expect(r.current_a).toBeGreaterThan(0);
    expect((await client.readTestInfo(3)).testName).toBe('cell-3-a');
  });
  it('refuses a duplicate test name, a missing procedure and a busy channel with clear reasons', async () => {
    const { sim, client } = await setup({ existingTestNames: ['taken'] });
    await expect(client.startTest(1, { testName: 'taken', procName: 'CCCV_0.5C', comment: '', crate: 1, safety })).rejects.toMatchObject({ code: 'BB_MACCOR_TEST_NAME_EXISTS' });
    await expect(client.startTest(1, { testName: 'new', procName: 'nope', comment: '', crate: 1, safety })).rejects.toMatchObject({ code: 'BB_MACCOR_PROCEDURE_MISSING' });
    await client.startTest(1, { testName: 'Random', procName: 'CCCV_0.5C', comment: '', crate: 1, safety });
    await expect(client.startTest(1, { testName: 'x2', procName: 'CCCV_0.5C', comment: '', crate: 1, safety })).rejects.toMatchObject({ code: 'BB_MACCOR_CHANNEL_NOT_AVAILABLE', message: expect.stringContaining('Active') });
    expect(sim.requests.filter((q) => q.fclass === 6 && q.fnum === 2)).toHaveLength(1);
  });
  it('resets a Completed channel before starting', async () => {
    const { sim, client } = await setup();
    sim.setChannel(2, { stat: 4, rf1: 31, rf2: 193 });
    const out = await client.startTest(2, { testName: 'after-reset', procName: 'proc_a', comment: '', crate: 1, safety });
    expect(out.wasReset).toBe(true);
    expect(sim.requests.map((q) => `${q.fclass},${q.fnum}`).slice(0, 3)).toEqual(['4,7', '6,5', '4,7']);
  });
  it('set variable, read back, suspend, resume, reset', async () => {
    const { sim, client } = await setup();
    await client.setVariable(4, 3, -1.25);
    expect((await client.readGlobalFlagsAndVars(4)).vars[2]).toBe(-1.25);
    await expect(client.setVariable(4, 16, 1)).rejects.toMatchObject({ code: 'BB_MACCOR_INVALID_ARGUMENT' });
    await client.startTest(4, { testName: 'Random', procName: 'proc_a', comment: '', crate: 1, safety });
    await client.suspend(4);
    expect(sim.channel(4).stat).toBe(3);
    await expect(client.suspend(4)).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED' });
    await client.resume(4);
    expect(sim.channel(4).stat).toBe(2);
    await client.reset(4);
    expect(sim.channel(4).stat).toBe(0);
    expect((await client.readEndStatus(4)).endNum).toBe(0);
  });
});

describe('Client > MaccorClient vs simulator > direct control', () => {
  it('direct control changes the current; rest via binary brings it to 0', async () => {
    const { sim, client } = await setup({}, 'binary');
    await client.startDirectControl(2, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await sleep(120);
    await client.setDirectOutput(2, { mode: 'charge', current_a: 1.5, voltage_v: 4.2 });
    await sleep(50);
    const r = await client.readChannel(2);
    expect(r.current_a).toBeCloseTo(1.5, 3);
    expect(r.rf1_name).toBe('Charge');
    await sleep(110);
    await client.setDirectOutput(2, { mode: 'rest' });
    await sleep(20);
    expect((await client.readChannel(2)).current_a).toBe(0);
    expect(sim.requests.filter((q) => q.transport === 'binary').map((q) => q.chan)).toEqual([1]);
  });
  it('the 100 ms rule and readiness come back as typed rejections', async () => {
    const { client } = await setup();
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await expect(client.setDirectOutput(1, { mode: 'charge', current_a: 1, voltage_v: 4.2 })).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 5 });
    await sleep(120);
    await client.setDirectOutput(1, { mode: 'charge', current_a: 1, voltage_v: 4.2 });
    await expect(client.setDirectOutput(1, { mode: 'charge', current_a: 2, voltage_v: 4.2 })).rejects.toMatchObject({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 3, meaning: expect.stringContaining('100 ms') });
    await expect(client.setDirectOutput(3, { mode: 'rest' })).rejects.toMatchObject({ result: 4 });
  });
  it('direct mode is refused on SystemType ≠ 0 before anything is sent to the channel', async () => {
    const { sim, client } = await setup({ systemType: 3 });
    await expect(client.startDirectControl(1, { safety, initial: { mode: 'rest' } })).rejects.toMatchObject({ code: 'BB_MACCOR_DIRECT_MODE_UNSUPPORTED' });
    expect(sim.requests.map((q) => `${q.fclass},${q.fnum}`)).toEqual(['1,2']);
  });
  it('an envelope refusal is never sent', async () => {
    const { sim, client } = await setup();
    const env = new DirectControlEnvelope({ 1: { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 } });
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await sleep(120);
    const send = async (sp: Parameters<MaccorClient['setDirectOutput']>[1]): Promise<string> => {
      const check = env.check(1, sp);
      if (!check.ok) return check.refusal.reason;
      await client.setDirectOutput(1, sp);
      return 'sent';
    };
    expect(await send({ mode: 'charge', current_a: 5, voltage_v: 4.2 })).toBe('charge_current_above_max');
    expect(await send({ mode: 'charge', current_a: 1, voltage_v: 4.5 })).toBe('voltage_above_max');
    expect(await send({ mode: 'charge', current_a: 1, voltage_v: 4.2 })).toBe('sent');
    const outputs = sim.requests.filter((q) => q.fclass === 6 && q.fnum === 8);
    expect(outputs.map((q) => q.params['Current'])).toEqual([1]);
  });
  it('the commander watchdog trips and the channel rests (ManualClock drives the watchdog)', async () => {
    const { sim, client } = await setup();
    const clock = new ManualClock(0);
    const rested: Promise<void>[] = [];
    const wd = new SetpointWatchdog(clock, { timeoutMs: 2000, onExpire: (ch) => rested.push(client.setDirectOutput(ch, { mode: 'rest' })) });
    await client.startDirectControl(5, { safety, initial: { mode: 'discharge', current_a: 0, voltage_v: 3.0 } });
    await sleep(120);
    await client.setDirectOutput(5, { mode: 'discharge', current_a: 1, voltage_v: 3.0 });
    wd.feed(5);
    await sleep(110);
    expect(sim.channel(5).current_a).toBeCloseTo(-1, 3);
    clock.advance(1999);
    expect(wd.poll()).toEqual([]);
    clock.advance(1);
    expect(wd.poll()).toEqual([5]);
    await Promise.all(rested);
    await sleep(10);
    const c = sim.channel(5);
    expect([c.current_a, c.rf1]).toEqual([0, 4]);
  });
  it('the tester watchdog (MacNetDirectModeWD) suspends a channel that is not refreshed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { sim, client } = await setup({ clock, directModeWatchdogS: 1 });
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 1, voltage_v: 4.2 } });
    clock.advance(500);
    await client.refreshDirectOutput(1);
    clock.advance(900);
    expect(sim.channel(1).stat).toBe(2);
    clock.advance(200);
    expect(sim.channel(1).stat).toBe(3);
    expect((await client.readChannel(1)).stat_name).toBe('Suspended');
  });
});

/** A TCP relay in front of the simulator that can swallow replies (the request still reaches the tester). */
async function mutingRelay(target: number): Promise<{ port: number; mute(on: boolean): void }> {
  let muted = false;
  const relay = net.createServer((c) => {
    const up = net.createConnection({ host: '127.0.0.1', port: target });
    c.on('data', (d) => up.write(d));
    up.on('data', (d) => {
      if (!muted) c.write(d);
    });
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => relay.close(() => r())));
  return { port: (relay.address() as net.AddressInfo).port, mute: (on) => void (muted = on) };
}

describe('Client > MaccorClient > stored set-point and wire guard', () => {
  it('after a (6,8) with unknown outcome (timeout) there is nothing to refresh: the older, higher set-point is never re-sent', async () => {
    const sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 7 });
    cleanup.push(() => sim.close());
    const relay = await mutingRelay(sim.port);
    const client = new MaccorClient({ host: '127.0.0.1', jsonPort: relay.port, requestTimeoutMs: 300 });
    cleanup.push(() => client.close());
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    await sleep(120);
    await client.setDirectOutput(1, { mode: 'charge', current_a: 1.5, voltage_v: 4.2 });
    expect(client.lastDirectSetpoint(1)).toMatchObject({ current_a: 1.5 });
    await sleep(120);
    relay.mute(true);
    await expect(client.setDirectOutput(1, { mode: 'charge', current_a: 0.5, voltage_v: 4.2 })).rejects.toMatchObject({ code: 'BB_MACCOR_TIMEOUT' });
    relay.mute(false);
    expect(sim.channel(1).direct).toMatchObject({ current_a: 0.5 }); // the tester applied it; we could not know
    expect(client.lastDirectSetpoint(1)).toBeUndefined();
    await expect(client.refreshDirectOutput(1)).rejects.toMatchObject({ code: 'BB_MACCOR_INVALID_ARGUMENT' });
    const sent = sim.requests.filter((q) => q.fclass === 6 && q.fnum === 8).map((q) => q.params['Current']);
    expect(sent).toEqual([1.5, 0.5]); // 1.5 A was not re-sent over 0.5 A
  });
  it('a rejected (6,8) also clears the stored set-point; an OK one stores it again', async () => {
    const { client } = await setup();
    await client.startDirectControl(1, { safety, initial: { mode: 'charge', current_a: 0, voltage_v: 4.2 } });
    expect(client.lastDirectSetpoint(1)).toMatchObject({ current_a: 0 });
    await expect(client.setDirectOutput(1, { mode: 'charge', current_a: 1, voltage_v: 4.2 })).rejects.toMatchObject({ result: 5 });
    expect(client.lastDirectSetpoint(1)).toBeUndefined();
    await sleep(120);
    await client.setDirectOutput(1, { mode: 'charge', current_a: 1, voltage_v: 4.2 });
    expect(client.lastDirectSetpoint(1)).toMatchObject({ current_a: 1 });
  });
  it('the guard runs when the request reaches the wire: a throw while queued behind a slow request sends nothing', async () => {
    const { sim, client } = await setup({ serviceTimeMs: 300 });
    const slow = client.readChannel(1);
    const deadline = Date.now() + 100;
    const guard = { beforeWrite: (): void => {
      if (Date.now() >= deadline) throw new Error('expired while queued');
    } };
    const queued = client.setVariable(1, 1, 0.5, guard);
    await slow;
    await expect(queued).rejects.toThrow('expired while queued');
    expect(sim.requests.filter((q) => q.fclass === 6)).toHaveLength(0);
    await client.setVariable(1, 1, 0.5, { beforeWrite: () => undefined });
    expect(sim.requests.filter((q) => q.fclass === 6 && q.fnum === 9)).toHaveLength(1);
  });
});

describe('Client > connection behaviour', () => {
  it('times out, drops the socket and reports the loss; it never reconnects: later requests fail not_sent', async () => {
    let accepted = 0;
    const silent = net.createServer((s) => {
      accepted++;
      s.on('data', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => silent.close(() => r())));
    const port = (silent.address() as net.AddressInfo).port;
    const client = new MaccorClient({ host: '127.0.0.1', jsonPort: port, requestTimeoutMs: 100 });
    cleanup.push(() => client.close());
    const first = client.readChannel(1).catch((e: unknown) => e);
    const queued = client.readChannel(2).catch((e: unknown) => e);
    expect(await first).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', retriable: true });
    expect(await queued).toMatchObject({ code: 'BB_MACCOR_CONNECTION_LOST', outcome: 'not_sent' });
    await expect(client.lost).resolves.toMatchObject({ code: 'BB_MACCOR_CONNECTION_LOST', message: expect.stringContaining('request timeout') });
    await expect(client.readChannel(1)).rejects.toMatchObject({ outcome: 'not_sent' });
    expect(accepted).toBe(1);
  });
  it('a peer that closes mid-request fails the request at once (no busy loop)', async () => {
    const closer = net.createServer((s) => s.on('data', () => s.end()));
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => closer.close(() => r())));
    const client = new MaccorClient({ host: '127.0.0.1', jsonPort: (closer.address() as net.AddressInfo).port, requestTimeoutMs: 5000 });
    cleanup.push(() => client.close());
    const t0 = Date.now();
    await expect(client.readChannel(1)).rejects.toMatchObject({ code: 'BB_MACCOR_CONNECTION_CLOSED' });
    expect(Date.now() - t0).toBeLessThan(4000);
  });
  it('garbage on the stream fails the request and resets the connection', async () => {
    const bad = net.createServer((s) => s.on('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => bad.close(() => r())));
    const client = new MaccorClient({ host: '127.0.0.1', jsonPort: (bad.address() as net.AddressInfo).port });
    cleanup.push(() => client.close());
    await expect(client.readChannel(1)).rejects.toMatchObject({ code: 'BB_MACCOR_FRAME_GARBAGE' });
  });
  it('connects once: a failed connect or a lost connection is final for the client, a new client connects to the restarted tester', async () => {
    const sim = await startMaccorSimulator({ port: 0, channels: 2, seed: 3 });
    const port = sim.port;
    const client = new MaccorClient({ host: '127.0.0.1', jsonPort: port, requestTimeoutMs: 1000 });
    cleanup.push(() => client.close());
    const events: string[] = [];
    client.events.on('connected', () => events.push('connected'));
    client.events.on('disconnected', () => events.push('disconnected'));
    await client.connect();
    expect((await client.readChannel(1)).channel).toBe(1);
    await sim.close();
    await expect(client.lost).resolves.toMatchObject({ code: 'BB_MACCOR_CONNECTION_LOST' });
    await expect(client.readChannel(1)).rejects.toMatchObject({ outcome: 'not_sent' });
    const again = await startMaccorSimulator({ port, channels: 2, seed: 3 });
    cleanup.push(() => again.close());
    await expect(client.readChannel(2)).rejects.toMatchObject({ outcome: 'not_sent' }); // no reconnect
    expect(events).toEqual(['connected', 'disconnected']);
    const fresh = new MaccorClient({ host: '127.0.0.1', jsonPort: port, requestTimeoutMs: 1000 });
    cleanup.push(() => fresh.close());
    expect((await fresh.readChannel(2)).channel).toBe(2);

    const nobody = new MaccorClient({ host: '127.0.0.1', jsonPort: await closedPort(), requestTimeoutMs: 1000 });
    cleanup.push(() => nobody.close());
    await expect(nobody.connect()).rejects.toMatchObject({ code: 'BB_MACCOR_CONNECT_FAILED', outcome: 'not_sent' });
    await expect(nobody.lost).resolves.toMatchObject({ code: 'BB_MACCOR_CONNECTION_LOST' });
    await expect(nobody.connect()).rejects.toMatchObject({ outcome: 'not_sent' }); // no second attempt
  });
  it('close() fails queued requests with BB_MACCOR_CLIENT_CLOSED', async () => {
    const { client } = await setup({ serviceTimeMs: 50 });
    const settled = Promise.allSettled([client.readChannel(1), client.readChannel(2)]);
    client.close();
    const results = await settled;
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code: string }).code)).toEqual(['BB_MACCOR_CLIENT_CLOSED', 'BB_MACCOR_CLIENT_CLOSED']);
    await expect(client.readChannel(1)).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
  });
});

function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
