import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArbinCtiClient } from '../../src/index.js';
import { startArbinSpoofer } from '../peers/peer.js';

// Interop against pycti's ArbinSpoofer (a weak oracle: it answers success to everything, README §9).
// Its feedbacks are 2 bytes longer than their length field; the client must cope without knowing
// who the peer is.
describe('Client > interop with pycti ArbinSpoofer', () => {
  let spoofer: Awaited<ReturnType<typeof startArbinSpoofer>>;
  let client: ArbinCtiClient;
  beforeAll(async () => {
    spoofer = await startArbinSpoofer(16);
    client = new ArbinCtiClient({ host: '127.0.0.1', port: spoofer.port, credentials: { username: 'user', password: 'pass' }, requestTimeoutMs: 3000, enforceAllowControl: true });
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await spoofer?.stop();
  });

  it('logs in (spoofer: allow_control 0, version 0)', async () => {
    const login = await client.connect();
    expect(login).toMatchObject({ result: 1, num_channels: 16, cycler_sn: '00000000', nick_name: 'our nickname', allow_control: 0, version: 0 });
  });

  it('reads several channels; the seeded channel 1 decodes', async () => {
    const readings = await client.getChannels([1, 2, 7, 16]);
    expect(readings.map((r) => r.channel)).toEqual([1, 2, 7, 16]);
    expect(readings[0]).toMatchObject({ status: 'Charge', schedule_name: 'fake_schedule', test_name: 'fake_testname', barcode: 'none', cycle_index: null, step_index: null });
    expect(readings[0]?.voltage_v).toBeCloseTo(3.7, 5);
    expect(readings[0]?.current_a).toBeCloseTo(1.5, 5);
    expect(readings[1]).toMatchObject({ status: 'Idle', voltage_v: 0 });
  });

  it('refuses control because the spoofer says allow_control = 0 (nothing sent)', async () => {
    await expect(client.stopSchedule(3)).rejects.toMatchObject({ code: 'BB_ARBIN_CONTROL_NOT_ALLOWED' });
  });

  it('assign / start / stop / set-MV succeed and decode (allow_control not enforced)', async () => {
    const c = new ArbinCtiClient({ host: '127.0.0.1', port: spoofer.port, credentials: { username: 'user', password: 'pass' }, requestTimeoutMs: 3000, enforceAllowControl: false });
    try {
      await c.connect();
      expect(await c.assignSchedule(14, 'Rest+207855.sdx')).toMatchObject({ ok: true, code: 0, command: 'assignSchedule', channel: 14 });
      expect(await c.startSchedule(14, { schedule: 'Rest+207855.sdx', testName: 'busbar_interop' })).toMatchObject({ ok: true, command: 'startSchedule' });
      expect(await c.setMetaVariable(14, 1, 0.2)).toMatchObject({ ok: true, command: 'setMetaVariable' });
      expect(await c.setMetaVariable(14, 16, 1.5)).toMatchObject({ ok: true });
      expect(await c.stopSchedule(14)).toMatchObject({ ok: true, command: 'stopSchedule' });
      const [r] = await c.getChannels([14]);
      expect(r?.channel).toBe(14);
    } finally {
      await c.close();
    }
  });
});
