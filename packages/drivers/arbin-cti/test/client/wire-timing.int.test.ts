/**
 * What leaves the client, and when: a proxy between the client and the strict simulator logs every
 * request frame as it arrives (the wire) and can hold get-channels-info requests — a cycler whose
 * reads are slow — so that commands queue behind them.
 */
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArbinCtiClient, MV_MIN_INTERVAL_MS, startArbinSimulator, type ArbinSimulator } from '../../src/index.js';
import { CtiFrameDecoder } from '../../src/codec/frame.js';
import { commandNameOfRequest, type CtiCommandName } from '../../src/codec/commands.js';
import { decodeSetMetaVariableRequest } from '../../src/codec/meta-variable.js';

const creds = { username: 'busbar', password: 'pw' };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface WireEntry {
  readonly command: CtiCommandName | undefined;
  readonly atMs: number;
  readonly channel?: number;
  readonly value?: number;
}

/** A TCP proxy that logs request frames and delays get-channels-info requests by `readDelayMs`. */
async function slowReadProxy(target: { host: string; port: number }, readDelayMs: number): Promise<{ port: number; wire: WireEntry[]; close(): Promise<void> }> {
  const wire: WireEntry[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(target.port, target.host);
    upstream.on('data', (d) => client.write(d));
    const decoder = new CtiFrameDecoder({ direction: 'request' });
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        const command = commandNameOfRequest(f.commandCode);
        const entry: WireEntry = command === 'setMetaVariable' ? (() => {
          const r = decodeSetMetaVariableRequest(f);
          return { command, atMs: Date.now(), channel: r.channel_index0 + 1, value: r.mv_data };
        })() : { command, atMs: Date.now() };
        wire.push(entry);
        const delay = command === 'getChannelsInfo' ? readDelayMs : 0;
        // keep order: a held read holds everything after it, as one cycler connection would
        chain = chain.then(() => (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : undefined)).then(() => {
          upstream.write(f.bytes);
        });
      }
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    wire,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function setup(readDelayMs: number): Promise<{ sim: ArbinSimulator; client: ArbinCtiClient; wire: WireEntry[] }> {
  const sim = await startArbinSimulator({ channels: 4, ...creds, tickMs: 20 });
  cleanup.push(() => sim.close());
  const proxy = await slowReadProxy(sim, readDelayMs);
  cleanup.push(() => proxy.close());
  const client = new ArbinCtiClient({ host: '127.0.0.1', port: proxy.port, credentials: creds, requestTimeoutMs: 3000 });
  cleanup.push(() => client.close());
  await client.connect();
  return { sim, client, wire: proxy.wire };
}

describe('Client > wire timing behind slow reads', () => {
  it('set-MV waiting behind a slow read: the next set-MV of the channel leaves ≥ 200 ms after it, and the newest value is applied', async () => {
    const { sim, client, wire } = await setup(400);
    await client.startSchedule(1, { schedule: 'Busbar_CC.sdx', testName: 'mv-spacing' });
    const read = client.getChannels([2]); // held 400 ms by the "cycler"
    const raise = client.setMetaVariable(1, 1, 2.0); // taken at once, waits in the request queue behind the read
    await new Promise((r) => setTimeout(r, 20));
    const lower = client.setMetaVariable(1, 1, 0.5); // the safety-relevant one: it must not be refused with 0x14
    const results = await Promise.all([raise, lower]);
    await read;
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const sent = wire.filter((w) => w.command === 'setMetaVariable' && w.channel === 1);
    expect(sent.map((w) => w.value)).toEqual([2.0, 0.5]);
    expect(sent[1]!.atMs - sent[0]!.atMs).toBeGreaterThanOrEqual(MV_MIN_INTERVAL_MS);
    expect(sim.channel(1).mv[0]).toBe(0.5);
    expect(sim.violations).toEqual([]);
  });

  it('a beforeSend that throws (an expired command) keeps the command off the wire, after it waited behind a slow read', async () => {
    const { sim, client, wire } = await setup(300);
    await client.startSchedule(1, { schedule: 'Busbar_CC.sdx', testName: 'expiry' });
    const expiresAtMs = Date.now() + 100; // passes while the stop waits behind the 300 ms read
    const expired = new Error('expired while it waited');
    let checkedAtMs = 0;
    const read = client.getChannels([2]);
    const stop = client.stopSchedule(1, {
      beforeSend: () => {
        checkedAtMs = Date.now();
        if (checkedAtMs >= expiresAtMs) throw expired;
      },
    });
    const mv = client.setMetaVariable(1, 1, 1.5, { beforeSend: () => { throw expired; } });
    await expect(stop).rejects.toBe(expired);
    await expect(mv).rejects.toBe(expired);
    await read;
    expect(checkedAtMs).toBeGreaterThanOrEqual(expiresAtMs);
    expect(wire.filter((w) => w.command === 'stopSchedule' || w.command === 'setMetaVariable')).toEqual([]);
    expect(sim.channel(1).running).toBe(true);
    // the client goes on: the next commands are sent normally
    expect(await client.setMetaVariable(1, 1, 1.0)).toMatchObject({ ok: true });
    expect(await client.stopSchedule(1)).toMatchObject({ ok: true });
  });
});
