/**
 * The Arbin module's session (src/session.ts) against the driver's strict simulator on loopback: one
 * login per session, its loss reported once through `lost` (the client's own), nothing reconnected
 * behind the collector runtime's back, channels checked against the login reply.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator } from '@busbar/driver-arbin-cti';
import { arbinDeviceSchema } from '../src/device-config.js';
import { openCyclerSession } from '../src/session.js';

const creds = { username: 'u', password: 'p' };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function simulator(port?: number): Promise<ArbinSimulator> {
  const sim = await startArbinSimulator({ channels: 4, ...creds, tickMs: 50, ...(port !== undefined ? { port } : {}) });
  cleanup.push(() => sim.close());
  return sim;
}

const device = (sim: ArbinSimulator, extra: Record<string, unknown> = {}) => arbinDeviceSchema.parse({ id: 'arbin-1', host: sim.host, port: sim.port, requestTimeoutMs: 2000, ...extra });

describe('modules > arbin > session', () => {
  it('logs in once and polls; when the cycler goes, lost settles with BB_ARBIN_CONNECTION_LOST and nothing reconnects', async () => {
    const sim = await simulator();
    const session = await openCyclerSession(device(sim), creds, noopLogger, noopMetrics);
    cleanup.push(() => session.close());
    expect(session.channels).toEqual([1, 2, 3, 4]);
    expect(session.login).toMatchObject({ num_channels: 4, cycler_sn: '207855' });
    expect(session.lost).toBe(session.client.lost);
    expect((await session.client.getChannels(session.channels)).map((r) => r.channel)).toEqual([1, 2, 3, 4]);
    expect(sim.connections).toBe(1);

    const port = sim.port;
    await sim.close();
    const err = await session.lost;
    expect(err).toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', retriable: true });
    const again = await simulator(port);
    await expect(session.client.getChannels([1])).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    await expect(session.port.stopSchedule(1)).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    expect(again.connections).toBe(0); // open connections of the restarted simulator: none from this session
    await session.close();
    await session.close(); // idempotent

    const next = await openCyclerSession(device(again), creds, noopLogger, noopMetrics); // what the runtime does
    cleanup.push(() => next.close());
    expect(again.connections).toBe(1);
    expect(again.violations).toEqual([]);
  });

  it('a configured channel beyond the cycler\'s count → BB_ARBIN_INVALID_ARGUMENT, the connection is closed', async () => {
    const sim = await simulator();
    const err = await openCyclerSession(device(sim, { channels: [2, 5, 6] }), creds, noopLogger, noopMetrics).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BB_ARBIN_INVALID_ARGUMENT', context: { device: 'arbin-1', numChannels: 4 } });
    expect((err as Error).message).toBe('cycler arbin-1 has 4 channels; configured channels 5, 6 do not exist');
    await expect.poll(() => sim.connections).toBe(0); // the session closed its client
  });

  it('wrong credentials → BB_ARBIN_LOGIN_FAILED; the connection is closed', async () => {
    const sim = await simulator();
    await expect(openCyclerSession(device(sim), { username: 'u', password: 'nope' }, noopLogger, noopMetrics)).rejects.toMatchObject({ code: 'BB_ARBIN_LOGIN_FAILED' });
    await expect.poll(() => sim.connections).toBe(0);
  });
});
