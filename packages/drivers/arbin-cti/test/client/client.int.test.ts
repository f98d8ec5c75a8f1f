import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArbinCtiClient, startArbinSimulator, type ArbinSimulator } from '../../src/index.js';
import { encodeLoginFeedback } from '../../src/codec/login.js';

const creds = { username: 'busbar', password: 'pw' };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(opts: Parameters<typeof startArbinSimulator>[0] = {}): Promise<{ sim: ArbinSimulator; client: ArbinCtiClient }> {
  const sim = await startArbinSimulator({ channels: 8, ...creds, tickMs: 20, ...opts });
  cleanup.push(() => sim.close());
  const client = new ArbinCtiClient({ host: sim.host, port: sim.port, credentials: creds, requestTimeoutMs: 2000 });
  cleanup.push(() => client.close());
  return { sim, client };
}

const until = async (cond: () => boolean, timeoutMs = 5000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * A cycler stand-in on loopback: answers the 86-byte login (README §4.1) with 4 channels and control
 * allowed, then hands every later request (one per data chunk: one request in flight, README §2) to
 * `onRequest` with its 1-based number over all connections. Counts connections and requests.
 */
async function fakeCycler(onRequest: (s: Socket, n: number) => void): Promise<{ port: number; readonly connections: number; readonly requests: number }> {
  const state = { port: 0, connections: 0, requests: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let n = 0;
    s.on('data', (chunk: Buffer) => {
      n += chunk.length;
      if (n === 86) {
        s.write(encodeLoginFeedback({ result: 1, ip_address: new Uint8Array(4), cycler_sn: '1', note: '', nick_name: '', location: '', emergency_contact: '', other_comments: '', email: '', call: '', itac: 0, version: 1, allow_control: 1, num_channels: 4, user_type: 0, picture_length: 0 }));
      } else onRequest(s, ++state.requests);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => {
    sockets.forEach((s) => s.destroy());
    server.close(() => r());
  }));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

describe('Client > against the simulator', () => {
  it('logs in and polls channels (per-channel and all-channels, with aux)', async () => {
    const { sim, client } = await setup();
    const login = await client.connect();
    expect(login).toMatchObject({ result: 1, num_channels: 8, cycler_sn: '207855', allow_control: 1 });
    const per = await client.getChannels([1, 8, 3]);
    expect(per.map((r) => r.channel)).toEqual([1, 8, 3]);
    expect(per[0]).toMatchObject({ status: 'Idle', state: 'idle', current_a: 0 });
    const all = await client.getChannels([2, 5], { mode: 'all', aux: true });
    expect(all.map((r) => r.channel)).toEqual([2, 5]);
    expect(all[0]?.aux_temperatures).toHaveLength(1);
    expect(all[0]?.aux_voltages_v[0]).toBeCloseTo(all[0]!.voltage_v, 5);
    expect((await client.getSerialNumber()).serialNumber).toBe(207855);
    expect(sim.violations).toEqual([]);
    await expect(client.getChannels([9])).rejects.toMatchObject({ code: 'BB_ARBIN_INVALID_ARGUMENT' });
    await expect(client.getChannels([0])).rejects.toMatchObject({ code: 'BB_ARBIN_INVALID_ARGUMENT' });
  });

  it('all-channels reply split into one frame per channel is gathered', async () => {
    const { client } = await setup({ allChannelsReply: 'frame-per-channel' });
    await client.connect();
    const all = await client.getChannels([1, 2, 3, 4, 5, 6, 7, 8], { mode: 'all' });
    expect(all.map((r) => r.channel)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('wrong password → BB_ARBIN_LOGIN_FAILED', async () => {
    const { sim } = await setup();
    const bad = new ArbinCtiClient({ host: sim.host, port: sim.port, credentials: { username: 'busbar', password: 'nope' }, requestTimeoutMs: 1000 });
    cleanup.push(() => bad.close());
    await expect(bad.connect()).rejects.toMatchObject({ code: 'BB_ARBIN_LOGIN_FAILED' });
  });

  it('start → set-MV changes the simulated current → start on a running channel is refused with the vendor reason → stop', async () => {
    const { sim, client } = await setup({ defaultCurrentA: 1 });
    await client.connect();
    expect(await client.startSchedule(2, { schedule: 'Unknown.sdx', testName: 't1' })).toMatchObject({ ok: false, command: 'assignSchedule', name: 'CTI_ASSIGN_SCHEDULE_NOT_FIND_ERROR', reason: 'schedule not found' });
    const started = await client.startSchedule(2, { schedule: 'Busbar_CC.sdx', testName: 't1' });
    expect(started).toMatchObject({ ok: true, code: 0, command: 'startSchedule', channel: 2 });
    expect(started.outcome).toBeUndefined();
    await until(() => sim.channel(2).current_a === 1);
    const mv = await client.setMetaVariable(2, 1, 2.5);
    expect(mv).toMatchObject({ ok: true, command: 'setMetaVariable' });
    await until(() => sim.channel(2).current_a === 2.5);
    const [reading] = await client.getChannels([2]);
    expect(reading).toMatchObject({ status: 'Charge', current_a: 2.5, schedule_name: 'Busbar_CC.sdx', test_name: 't1', step_index: 1, cycle_index: 1 });
    const again = await client.startSchedule(2, { testName: 't2', assign: false });
    expect(again).toMatchObject({ ok: false, code: 0x12, name: 'CTI_START_CHANNEL_RUNNING', reason: 'channel running or unsafe', source: 'README §5.2', outcome: 'refused' });
    expect(await client.setMetaVariable(3, 1, 1)).toMatchObject({ ok: false, code: 0x12, reason: 'channel is not running' });
    expect(await client.jumpToStep(2, 3)).toMatchObject({ ok: true });
    await until(() => sim.channel(2).current_a === -2.5);
    expect(await client.stopSchedule(2)).toMatchObject({ ok: true });
    expect(sim.channel(2).running).toBe(false);
    expect(await client.resumeSchedule(2)).toMatchObject({ ok: true });
    expect(await client.continueChannel(2)).toMatchObject({ ok: false, name: 'CTI_CONTINUE_CHANNEL_RUNNING' });
    expect(await client.sendConsoleMessage('[now]<-->hello')).toMatchObject({ ok: true, code: 1 });
    expect(sim.consoleMessages).toEqual(['[now]<-->hello']);
    expect(sim.violations).toEqual([]);
  });

  it('set-MV: spaced ≥ 200 ms per channel, faster requests coalesce and report the superseded one; batch update', async () => {
    const { sim, client } = await setup();
    await client.connect();
    await client.startSchedule(1, { schedule: 'Busbar_CC.sdx', testName: 'mv' });
    const superseded: unknown[] = [];
    client.on('mv-superseded', (e) => superseded.push(e));
    const results = await Promise.all([client.setMetaVariable(1, 1, 0.5), client.setMetaVariable(1, 1, 0.6), client.setMetaVariable(1, 1, 0.7), client.setMetaVariable(1, 1, 0.8)]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[1]).toMatchObject({ superseded: true, code: null, outcome: 'not_sent' });
    expect(superseded).toEqual([
      { channel: 1, mv: 1, supersededValue: 0.6, newValue: 0.7 },
      { channel: 1, mv: 1, supersededValue: 0.7, newValue: 0.8 },
    ]);
    const log = sim.mvLog.filter((e) => e.channel === 1);
    expect(log.map((e) => Math.round(e.value * 10) / 10)).toEqual([0.5, 0.8]);
    expect(log[1]!.atMs - log[0]!.atMs).toBeGreaterThanOrEqual(190);
    const batch = await client.setMetaVariables([{ channel: 1, mv: 2, value: 3 }, { channel: 1, mv: 1, value: 1.2 }]);
    expect(batch).toMatchObject({ ok: true, command: 'updateMetaVariables' });
    expect(sim.channel(1).mv.slice(0, 2).map((v) => Math.round(v * 10) / 10)).toEqual([1.2, 3]);
  });

  it('simulator killed mid-poll → the read fails, lost settles once, no reconnect to the restarted simulator; later requests not_sent', async () => {
    const { sim, client } = await setup();
    const events: string[] = [];
    client.on('connected', () => events.push('connected'));
    client.on('disconnected', (e) => events.push(`disconnected:${e.reason}:${String(e.code)}`));
    let lostCount = 0;
    const lost = client.lost.then((e) => (lostCount++, e));
    await client.connect();
    const port = sim.port;
    const poll = client.getChannels([1, 2, 3, 4, 5, 6, 7, 8]).catch((e: unknown) => e);
    await sim.close();
    const err = await lost;
    expect(err).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', retriable: true, context: { reason: 'connection closed' } });
    expect(err.message).toMatch(/was lost \(connection closed\); this client does not reconnect/);
    // the poll either completed before the close or failed with the loss (its bytes left: outcome unknown)
    const first = await poll;
    if (!Array.isArray(first)) expect(first).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'unknown' });
    const sim2 = await startArbinSimulator({ port, channels: 8, ...creds, tickMs: 20 });
    cleanup.push(() => sim2.close());
    await expect(client.getChannels([1])).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', context: { command: 'getChannelsInfo', sent: false } });
    await expect(client.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', context: { command: 'stopSchedule', channel: 1, sent: false } });
    await expect(client.setMetaVariable(1, 1, 0.5)).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    await expect(client.setMetaVariables([{ channel: 1, mv: 1, value: 0.5 }])).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', cause: err });
    expect(client.connected).toBe(false);
    expect(sim2.connections).toBe(0);
    expect(events).toEqual(['connected', 'disconnected:connection closed:undefined']);
    expect(lostCount).toBe(1);
    // a new client is how a connection comes back (the collector runtime does this)
    const again = new ArbinCtiClient({ host: sim2.host, port, credentials: creds, requestTimeoutMs: 2000 });
    cleanup.push(() => again.close());
    await again.connect();
    expect((await again.getChannels([1, 2])).map((r) => r.channel)).toEqual([1, 2]);
    expect(sim2.violations).toEqual([]);
  });

  it('connection closed with requests in flight and queued: a read in flight is unknown, a command in flight OUTCOME_UNKNOWN, queued ones not_sent and never written', async () => {
    const server = await fakeCycler((s) => s.destroy()); // every request is left unanswered: the peer closes
    const client = new ArbinCtiClient({ host: '127.0.0.1', port: server.port, credentials: creds, requestTimeoutMs: 2000 });
    cleanup.push(() => client.close());
    await client.connect();
    const read = client.getChannels([1]).catch((e: unknown) => e);
    const queuedRead = client.getSerialNumber().catch((e: unknown) => e);
    const queuedCommand = client.stopSchedule(2).catch((e: unknown) => e);
    expect(await read).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'unknown' });
    expect(await queuedRead).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', context: { command: 'getSerialNumber', sent: false } });
    expect(await queuedCommand).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', context: { command: 'stopSchedule', sent: false } });
    expect(server.requests).toBe(1);
    expect(server.connections).toBe(1);

    const c2 = new ArbinCtiClient({ host: '127.0.0.1', port: server.port, credentials: creds, requestTimeoutMs: 2000 });
    cleanup.push(() => c2.close());
    await c2.connect();
    const cmd = await c2.stopSchedule(1).catch((e: unknown) => e);
    expect(cmd).toMatchObject({ code: 'BB_ARBIN_OUTCOME_UNKNOWN', outcome: 'unknown', context: { command: 'stopSchedule', channel: 1, sent: true }, cause: { code: 'BB_ARBIN_CONNECTION_LOST' } });
    expect(await c2.lost).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST' });
    expect(server.requests).toBe(2);
    expect(server.connections).toBe(2);
  });

  it('a set-MV waiting for its 200 ms spacing when the connection goes fails not_sent and is never written', async () => {
    const { sim, client } = await setup();
    await client.connect();
    await client.startSchedule(1, { schedule: 'Busbar_CC.sdx', testName: 'mv' });
    expect(await client.setMetaVariable(1, 1, 0.5)).toMatchObject({ ok: true });
    const waiting = client.setMetaVariable(1, 1, 0.6).catch((e: unknown) => e); // spaced: not due yet
    await sim.close();
    expect(await waiting).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', context: { command: 'setMetaVariable', channel: 1, sent: false } });
    expect(sim.mvLog.map((e) => e.value)).toEqual([0.5]);
  });

  it('a command whose feedback never arrives → BB_ARBIN_OUTCOME_UNKNOWN, never resent, the connection is dropped; a read that times out is not retried', async () => {
    const server = await fakeCycler(() => undefined); // logs in, then swallows everything
    const client = new ArbinCtiClient({ host: '127.0.0.1', port: server.port, credentials: creds, requestTimeoutMs: 300 });
    cleanup.push(() => client.close());
    const disconnected: unknown[] = [];
    client.on('disconnected', (e) => disconnected.push(e));
    await client.connect();
    await expect(client.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_OUTCOME_UNKNOWN', retriable: false, outcome: 'unknown', context: { command: 'stopSchedule', channel: 1, sent: true } });
    expect(await client.lost).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', context: { reason: 'request timeout' }, cause: { code: 'BB_ARBIN_OUTCOME_UNKNOWN' } });
    expect(disconnected).toEqual([{ reason: 'request timeout', code: 'BB_ARBIN_TIMEOUT' }]);
    await expect(client.getChannels([1])).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    expect(server.requests).toBe(1);
    expect(server.connections).toBe(1);

    const reader = new ArbinCtiClient({ host: '127.0.0.1', port: server.port, credentials: creds, requestTimeoutMs: 300 });
    cleanup.push(() => reader.close());
    await reader.connect();
    await expect(reader.getChannels([1])).rejects.toMatchObject({ code: 'BB_ARBIN_TIMEOUT', retriable: true, outcome: 'unknown' });
    expect(await reader.lost).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', cause: { code: 'BB_ARBIN_TIMEOUT' } });
    expect(server.requests).toBe(2);
    expect(server.connections).toBe(2);
  });

  it('outcome not_sent: not connected, closed, control not allowed, invalid argument — nothing written', async () => {
    const { sim, client } = await setup();
    const neverConnected = new ArbinCtiClient({ host: sim.host, port: sim.port, credentials: creds, requestTimeoutMs: 500 });
    await expect(neverConnected.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_NOT_CONNECTED', outcome: 'not_sent', context: { sent: false } });
    await neverConnected.close();
    await expect(neverConnected.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_CLOSED', outcome: 'not_sent' });
    await client.connect();
    await expect(client.stopSchedule(9)).rejects.toMatchObject({ code: 'BB_ARBIN_INVALID_ARGUMENT', outcome: 'not_sent' });
    await expect(client.startSchedule(1, { testName: 'x'.repeat(500), assign: false })).rejects.toMatchObject({ code: 'BB_ARBIN_INVALID_ARGUMENT', outcome: 'not_sent' });
    expect(sim.channel(1).running).toBe(false);
    const readOnly = await setup({ allowControl: false });
    await readOnly.client.connect();
    await expect(readOnly.client.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_CONTROL_NOT_ALLOWED', outcome: 'not_sent' });
  });

  it('strict simulator: request before login closes the connection; bad checksum is a violation', async () => {
    const { sim } = await setup();
    const { Socket } = await import('node:net');
    const { encodeChannelInfoRequest } = await import('../../src/codec/channel-info.js');
    const closed = (bytes: Buffer): Promise<void> =>
      new Promise((resolve, reject) => {
        const s = new Socket();
        s.on('error', reject);
        s.on('close', () => resolve());
        s.connect(sim.port, sim.host, () => s.write(bytes));
      });
    await closed(encodeChannelInfoRequest({ channel_index0: 0 }));
    const bad = Buffer.from(encodeChannelInfoRequest({ channel_index0: 0 }));
    bad[61] = (bad[61] ?? 0) ^ 0xff;
    await closed(bad);
    await closed(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    expect(sim.violations.map((v) => v.reason)).toEqual(['getChannelsInfo before login', expect.stringContaining('checksum'), 'bad token']);
  });
});
