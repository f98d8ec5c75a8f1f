/**
 * Direct control against the simulated tester (real TCP on loopback), driven through the pure
 * validation and the CommandExecutor as the collector runtime drives it (validate, then run with the
 * command's expiry check at the wire). Assertions read the
 * simulator's request log and channel state, and the results/events the runner produced.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { noopMetrics } from '@busbar/core';
import type { Command, CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { CommandExecutor } from '@busbar/commands';
import { assertNotExpired } from '@busbar/safety';
import { MaccorClient, MaccorError, startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { DirectSetpoint, MaccorSimulator } from '@busbar/driver-maccor-macnet';
import { prepareMaccorCommand } from '../src/actions.js';
import { maccorDevicesSchema } from '../src/device-config.js';
import { DirectControl, SUPERSEDED_MEMORY } from '../src/direct-control.js';

const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };

/**
 * The real client with injected faults: rests that get no reply (nothing sent), set-points whose reply
 * is lost after the tester applied them, and a gate that holds set-points in flight.
 */
class FaultyClient extends MaccorClient {
  failRests = 0;
  restAttempts = 0;
  lostReplies = 0;
  gate: Promise<void> | undefined;
  override async setDirectOutput(channel: number, sp: DirectSetpoint, guard?: { beforeWrite?: () => void }): Promise<void> {
    if (this.gate) await this.gate;
    if (sp.mode === 'rest') {
      this.restAttempts++;
      if (this.failRests > 0) {
        this.failRests--;
        throw new MaccorError('BB_MACCOR_TIMEOUT', 'injected: no reply to the rest');
      }
    } else if (this.lostReplies > 0) {
      this.lostReplies--;
      await super.setDirectOutput(channel, sp, guard);
      throw new MaccorError('BB_MACCOR_TIMEOUT', 'injected: the reply was lost');
    }
    return super.setDirectOutput(channel, sp, guard);
  }
}

interface Rig {
  sim: MaccorSimulator;
  client: FaultyClient;
  runner: DirectControl;
  /** False: the runtime has no session open (the accessor answers undefined). */
  online: boolean;
  events: DeviceEventInput[];
  results: CommandResultInput[];
  send(action: string, channel: number, parameters?: Command['parameters'], expiresInMs?: number): Promise<CommandResultInput>;
  fire(action: string, channel: number, parameters?: Command['parameters'], expiresInMs?: number): { id: string; done: Promise<CommandResultInput> };
}

let rig: Rig | undefined;

afterEach(async () => {
  if (!rig) return;
  await rig.runner.stop();
  rig.client.close();
  await rig.sim.close();
  rig = undefined;
});

async function start(directControl: { watchdogMs: number; testerWatchdogS?: number; shutdownRestTimeoutMs?: number }, simOptions: { directModeWatchdogS?: number; serviceTimeMs?: number } = {}): Promise<Rig> {
  const sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 3, splitReplies: true, ...simOptions });
  const variables = [{ var_num: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 1 }];
  const devices = maccorDevicesSchema.parse([{ id: 'mac-1', host: sim.host, jsonPort: sim.port, channels: 4, directControl: { testerWatchdogS: 0, ...directControl }, channelSettings: { '1-2': { safety: SAFETY, envelope: ENVELOPE }, '3': { safety: SAFETY, variables } } }]);
  const device = devices[0]!;
  const client = new FaultyClient({ host: sim.host, jsonPort: sim.port, requestTimeoutMs: 2000 });
  const events: DeviceEventInput[] = [];
  const results: CommandResultInput[] = [];
  const runner = new DirectControl(device, () => (rig?.online === false ? undefined : client), { publishEvent: async (e) => void events.push(e), publishResult: async (r) => void results.push(r) }, { metrics: noopMetrics });
  const executor = new CommandExecutor({
    resolve: (cmd) => {
      const { operation, summary } = prepareMaccorCommand(cmd, device);
      return { kind: 'execute', action: { summary, run: () => runner.run(operation, cmd, () => assertNotExpired(cmd, Date.now())) } };
    },
  });
  const fire = (action: string, channel: number, parameters: Command['parameters'] = {}, expiresInMs = 60_000): { id: string; done: Promise<CommandResultInput> } => {
    const id = randomUUID();
    const cmd: Command = { command_id: id, issuer: 'test', issued_at: new Date(), expires_at: new Date(Date.now() + expiresInMs), target: { device_id: 'mac-1', channel }, action, parameters, dry_run: false };
    const done = executor.handle(cmd).then((h) => {
      if (h.kind !== 'result') throw new Error(`unexpected ${h.kind}`);
      return h.result;
    });
    return { id, done };
  };
  rig = { sim, client, runner, online: true, events, results, fire, send: (a, c, p, e) => fire(a, c, p, e).done };
  return rig;
}

const setpoints = (sim: MaccorSimulator, chan0: number) => sim.requests.filter((r) => r.fclass === 6 && r.fnum === 8 && r.chan === chan0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DirectControl (against the simulator)', () => {
  it('applies a sequence of set-points in order, each one sent once', async () => {
    const r = await start({ watchdogMs: 5000 });
    expect((await r.send('maccor.start_direct_control', 1)).status).toBe('EXECUTED');
    const currents = [0.5, 1, 1.5, 0.25];
    for (const c of currents) {
      const res = await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: c, voltage_v: 4.1 });
      expect(res).toMatchObject({ status: 'EXECUTED', details: { current_a: String(c), mode: 'charge' } });
    }
    expect(setpoints(r.sim, 0).map((q) => q.params['Current'])).toEqual(currents);
    expect(r.sim.channel(1).direct).toMatchObject({ current_a: 0.25, mode: 'C', voltage_v: 4.1 });
  });

  it('coalesces a burst to the newest set-point; each superseded command fails once, naming its successor', async () => {
    const r = await start({ watchdogMs: 5000 });
    await r.send('maccor.start_direct_control', 2);
    const burst = [0.1, 0.2, 0.3, 0.4, 0.5].map((c) => r.fire('maccor.set_direct_output', 2, { mode: 'discharge', current_a: c, voltage_v: 3 }));
    const results = await Promise.all(burst.map((b) => b.done));
    // (6,7) counts as the channel's last set-point: the whole burst falls within 100 ms of it, so each
    // set-point is held and replaced by the next; only the newest reaches the tester
    for (let i = 0; i < 4; i++) {
      expect(results[i]).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_SETPOINT_SUPERSEDED' });
      expect(results[i]!.reason).toContain(burst[i + 1]!.id);
      expect(r.runner.supersededByOf(burst[i]!.id)).toBe(burst[i + 1]!.id);
    }
    expect(results[4]).toMatchObject({ status: 'EXECUTED', details: { current_a: '0.5' } });
    expect(setpoints(r.sim, 1).map((q) => q.params['Current'])).toEqual([0.5]);
    expect(r.sim.channel(2).direct).toMatchObject({ current_a: 0.5, mode: 'D' });
  });

  it('rejects a set-point beyond the envelope and never sends it', async () => {
    const r = await start({ watchdogMs: 5000 });
    await r.send('maccor.start_direct_control', 1);
    const res = await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 2.5, voltage_v: 4.1 });
    expect(res).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_ENVELOPE_REFUSED' });
    expect(res.reason).toContain('2.5 A is above the envelope maximum 2 A');
    const over = await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1, voltage_v: 4.25 });
    expect(over).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_ENVELOPE_REFUSED' });
    expect(setpoints(r.sim, 0)).toHaveLength(0);
  });

  it('refuses set-points without a session and direct control without an envelope', async () => {
    const r = await start({ watchdogMs: 5000 });
    expect(await r.send('maccor.set_direct_output', 1, { mode: 'rest' })).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_NOT_IN_DIRECT_MODE' });
    expect(await r.send('maccor.start_direct_control', 3)).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED' });
    expect(await r.send('maccor.start_direct_control', 4)).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED' });
    expect(r.sim.requests.filter((q) => q.fclass === 6)).toHaveLength(0);
  });

  it('puts the channel to rest when the controller stops sending, and says why', async () => {
    const r = await start({ watchdogMs: 400 }, { directModeWatchdogS: 5 });
    const started = await r.send('maccor.start_direct_control', 1);
    const last = r.fire('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1, voltage_v: 4.1 });
    await last.done;
    expect(r.sim.channel(1).direct).toMatchObject({ mode: 'C', current_a: 1 });
    await expect.poll(() => r.results.length, { timeout: 10_000 }).toBe(1);
    const [result] = r.results;
    expect(result).toMatchObject({ action: 'maccor.watchdog_rest', status: 'EXECUTED', reason_code: 'BB_MACCOR_WATCHDOG_EXPIRED', channel: 1, details: { last_command_id: last.id, session_command_id: started.command_id, rest_applied: 'true', watchdog_ms: '400' } });
    expect(Number(result!.details!.silence_ms)).toBeGreaterThanOrEqual(400);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ kind: 'FAULT', channel: 1, previous_state: 'direct_control', state: 'rest', error_code: 'BB_MACCOR_WATCHDOG_EXPIRED' });
    // on the tester: the last (6,8) is a rest, and the channel rests (not suspended by the tester's own watchdog)
    const sent = setpoints(r.sim, 0);
    expect(sent.at(-1)!.params).toMatchObject({ ChMode: 'R', Current: 0 });
    expect(r.sim.channel(1)).toMatchObject({ stat: 2, current_a: 0 });
    expect(r.sim.channel(1).direct!.mode).toBe('R');
    // the session is over
    expect(await r.send('maccor.set_direct_output', 1, { mode: 'rest' })).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_NOT_IN_DIRECT_MODE' });
  });

  it('keeps the tester watchdog fed while the controller is alive', async () => {
    const r = await start({ watchdogMs: 1500, testerWatchdogS: 0.6 }, { directModeWatchdogS: 0.6 });
    await r.send('maccor.start_direct_control', 1);
    await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 });
    // only refreshes reach the tester until our watchdog rests the channel
    await expect.poll(() => r.results.length, { timeout: 10_000 }).toBe(1);
    expect(setpoints(r.sim, 0).length).toBeGreaterThanOrEqual(3); // set-point, ≥ 1 refresh, rest
    expect(r.sim.channel(1).stat).toBe(2); // never suspended by the tester (Stat 3)
    expect(r.sim.channel(1).direct!.mode).toBe('R');
  });

  it('ends the session on reset and puts direct channels to rest on shutdown', async () => {
    const r = await start({ watchdogMs: 5000 });
    await r.send('maccor.start_direct_control', 1);
    await r.send('maccor.start_direct_control', 2);
    expect((await r.send('maccor.reset', 1)).details).toMatchObject({ direct_session_ended: 'true' });
    expect(r.runner.directChannels()).toEqual([2]);
    await r.runner.stop();
    expect(r.events).toMatchObject([{ kind: 'FAULT', channel: 2, error_code: 'BB_MACCOR_SHUTDOWN_REST', state: 'rest' }]);
    expect(setpoints(r.sim, 1).at(-1)!.params).toMatchObject({ ChMode: 'R' });
  });

  it('retries the watchdog rest until the tester confirms it, refusing direct control on the channel meanwhile', async () => {
    const r = await start({ watchdogMs: 400 });
    await r.send('maccor.start_direct_control', 1);
    const last = await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1, voltage_v: 4.1 });
    r.client.failRests = 2;
    // the first attempt fails: a FAULT event says so at once, and the channel is rest-pending
    await expect.poll(() => r.events.length, { timeout: 10_000 }).toBe(1);
    expect(r.events[0]).toMatchObject({ kind: 'FAULT', channel: 1, state: 'unknown', error_code: 'BB_MACCOR_WATCHDOG_EXPIRED', details: { rest_applied: 'false', rest_outcome: 'retrying', rest_error_code: 'BB_MACCOR_TIMEOUT' } });
    expect(r.events[0]!.reason).toContain('retrying until the tester confirms it');
    expect(r.runner.restPendingChannels()).toEqual([1]);
    const restart = await r.send('maccor.start_direct_control', 1);
    expect(restart).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_REST_PENDING' });
    expect(restart.reason).toContain('channel 1 of mac-1 is being put to rest');
    expect(await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 })).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_REST_PENDING' });
    // the third attempt goes through: one result, one more event
    await expect.poll(() => r.results.length, { timeout: 10_000 }).toBe(1);
    expect(r.results[0]).toMatchObject({ action: 'maccor.watchdog_rest', status: 'EXECUTED', reason_code: 'BB_MACCOR_WATCHDOG_EXPIRED', details: { rest_applied: 'true', rest_attempts: '3', rest_outcome: 'confirmed', last_command_id: last.command_id } });
    expect(r.events.at(-1)).toMatchObject({ kind: 'FAULT', state: 'rest', error_code: 'BB_MACCOR_WATCHDOG_EXPIRED' });
    expect(r.client.restAttempts).toBe(3);
    expect(r.sim.channel(1).direct!.mode).toBe('R');
    expect(r.runner.restPendingChannels()).toEqual([]);
    expect(setpoints(r.sim, 0).map((q) => q.params['Current'])).toEqual([1, 0]); // the refused 0.5 A never went out
  });

  it('at shutdown keeps retrying an unconfirmed rest until shutdownRestTimeoutMs, then reports it loudly', async () => {
    const r = await start({ watchdogMs: 5000, shutdownRestTimeoutMs: 800 });
    await r.send('maccor.start_direct_control', 2);
    await r.send('maccor.set_direct_output', 2, { mode: 'discharge', current_a: 1, voltage_v: 3 });
    r.client.failRests = Number.POSITIVE_INFINITY;
    await r.runner.stop();
    expect(r.client.restAttempts).toBeGreaterThanOrEqual(2); // retried during shutdown (backoff 250 ms, 500 ms, …)
    const final = r.events.at(-1)!;
    expect(final).toMatchObject({ kind: 'FAULT', channel: 2, state: 'unknown', error_code: 'BB_MACCOR_SHUTDOWN_REST', details: { rest_applied: 'false', rest_outcome: 'abandoned' } });
    expect(final.reason).toContain('THE CHANNEL MAY STILL BE ENERGISED');
    expect(r.results).toMatchObject([{ action: 'maccor.watchdog_rest', channel: 2, status: 'FAILED', reason_code: 'BB_MACCOR_SHUTDOWN_REST' }]);
    expect(r.sim.channel(2).direct!.mode).toBe('D');
  });

  it('a set-point whose reply is lost puts the channel to rest; no older set-point is refreshed over it', async () => {
    const r = await start({ watchdogMs: 5000, testerWatchdogS: 0.6 });
    await r.send('maccor.start_direct_control', 1);
    await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1.5, voltage_v: 4.1 });
    r.client.lostReplies = 1;
    const lost = await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 });
    expect(lost).toMatchObject({ status: 'FAILED', reason_code: 'BB_MACCOR_TIMEOUT' });
    await expect.poll(() => r.results.length, { timeout: 10_000 }).toBe(1);
    expect(r.results[0]).toMatchObject({ action: 'maccor.watchdog_rest', status: 'EXECUTED', reason_code: 'BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN', details: { last_command_id: lost.command_id, rest_applied: 'true' } });
    expect(r.events[0]).toMatchObject({ kind: 'FAULT', state: 'rest', error_code: 'BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN' });
    await sleep(700); // > 3 refresh periods
    const sent = setpoints(r.sim, 0);
    const after = sent.slice(sent.findIndex((q) => q.params['Current'] === 0.5) + 1);
    expect(after.length).toBeGreaterThanOrEqual(2); // the rest and its refreshes
    expect(after.every((q) => q.params['ChMode'] === 'R')).toBe(true); // 1.5 A never came back
    expect(r.sim.channel(1).direct!.mode).toBe('R');
    // the session stays: the controller may go on
    expect(await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.25, voltage_v: 4.1 })).toMatchObject({ status: 'EXECUTED' });
  });

  it('suspend drops the held set-point, waits for the one in flight and pauses refreshes', async () => {
    const r = await start({ watchdogMs: 5000, testerWatchdogS: 0.6 });
    await r.send('maccor.start_direct_control', 1);
    await sleep(150);
    await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 });
    const held = r.fire('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1, voltage_v: 4.1 }); // within 100 ms: held
    const suspend = r.fire('maccor.suspend', 1);
    const [heldResult, suspendResult] = await Promise.all([held.done, suspend.done]);
    expect(heldResult).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_SETPOINT_SUPERSEDED' });
    expect(heldResult.reason).toContain(`maccor.suspend (command ${suspend.id})`);
    expect(r.runner.supersededByOf(held.id)).toBe(suspend.id);
    expect(suspendResult).toMatchObject({ status: 'EXECUTED' });
    await sleep(700); // > 3 refresh periods
    const i = r.sim.requests.findIndex((q) => q.fclass === 6 && q.fnum === 3);
    expect(i).toBeGreaterThan(0);
    expect(r.sim.requests.slice(i).filter((q) => q.fclass === 6 && q.fnum === 8)).toEqual([]);
    expect(setpoints(r.sim, 0).map((q) => q.params['Current'])).toEqual([0.5]);
    expect(r.sim.channel(1).stat).toBe(3);
  });

  it('a command that expires while it waits behind a slow request is EXPIRED and never sent', async () => {
    const r = await start({ watchdogMs: 5000 }, { serviceTimeMs: 400 });
    const slow = r.client.readChannel(3);
    await sleep(20); // the read is on the wire
    const res = await r.send('maccor.set_variable', 3, { var_num: 1, value: 0.5 }, 200);
    expect(res).toMatchObject({ status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' });
    expect(res.reason).toContain('while it waited for the device; not sent');
    await slow;
    expect(r.sim.requests.filter((q) => q.fclass === 6)).toEqual([]);
  });

  it('the refresh timer waits for the in-flight request instead of spinning', async () => {
    const r = await start({ watchdogMs: 5000, testerWatchdogS: 0.3 }); // a refresh every 100 ms
    await r.send('maccor.start_direct_control', 1);
    let release = (): void => undefined;
    r.client.gate = new Promise<void>((res) => (release = res));
    const spy = vi.spyOn(r.runner as unknown as { onTimer(): void }, 'onTimer');
    await sleep(150);
    const held = r.fire('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 }); // in flight, held by the gate
    await sleep(1000);
    expect(spy.mock.calls.length).toBeLessThan(20);
    r.client.gate = undefined;
    release();
    expect(await held.done).toMatchObject({ status: 'EXECUTED' });
  });

  it(`remembers at most ${SUPERSEDED_MEMORY} superseded commands`, async () => {
    const r = await start({ watchdogMs: 5000 });
    await r.send('maccor.start_direct_control', 1);
    const ids = Array.from({ length: SUPERSEDED_MEMORY + 100 }, () => randomUUID());
    const setpoint: DirectSetpoint = { mode: 'charge', current_a: 0.5, voltage_v: 4.1 };
    const runs = ids.map((id) => r.runner.run({ kind: 'set_direct_output', channel: 1, setpoint }, { command_id: id, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'mac-1', channel: 1 }, action: 'maccor.set_direct_output', parameters: {}, dry_run: false }, () => undefined).catch(() => undefined));
    await Promise.all(runs);
    expect(r.runner.supersededByOf(ids[0]!)).toBeUndefined();
    expect(r.runner.supersededByOf(ids.at(-2)!)).toBe(ids.at(-1));
    expect(setpoints(r.sim, 0)).toHaveLength(1);
  });

  it('with no session open, a due tester-watchdog refresh waits for one instead of spinning, and goes out when it is back', async () => {
    const r = await start({ watchdogMs: 5000, testerWatchdogS: 0.3 }); // a refresh every 100 ms
    await r.send('maccor.start_direct_control', 1);
    await sleep(150);
    await r.send('maccor.set_direct_output', 1, { mode: 'charge', current_a: 0.5, voltage_v: 4.1 });
    const spy = vi.spyOn(r.runner as unknown as { onTimer(): void }, 'onTimer');
    r.online = false;
    const before = setpoints(r.sim, 0).length;
    await sleep(1000);
    expect(spy.mock.calls.length).toBeLessThan(20); // ~4 looks a second, not a busy loop
    expect(setpoints(r.sim, 0)).toHaveLength(before); // nothing could go out
    r.online = true;
    await expect.poll(() => setpoints(r.sim, 0).length, { timeout: 2_000 }).toBeGreaterThan(before);
    expect(setpoints(r.sim, 0).at(-1)!.params).toMatchObject({ ChMode: 'C', Current: 0.5 }); // the same client: its confirmed set-point is refreshed
  });
});
