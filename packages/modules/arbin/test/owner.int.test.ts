/**
 * The Arbin module's actions as the Arbin collector runs them: the CommandExecutor, the module's
 * validation and execution through the command resolver, on a real ArbinCtiClient against the
 * driver's strict simulator on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CommandResultInput } from '@busbar/avro';
import { ArbinCtiClient, startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator } from '@busbar/driver-arbin-cti';
import { CommandExecutor } from '@busbar/commands';
import { commandResolver, deviceTable } from '@busbar/protocol';
import type { Session } from '@busbar/protocol';
import type { ArbinCyclerPort } from '../src/actions.js';
import { arbinDevicesSchema } from '../src/device-config.js';
import { createArbinModule } from '../src/module.js';

/** The executor of the collector for one cycler whose session's command port is `port`. */
function executorOn(port: () => ArbinCyclerPort): (c: Command) => Promise<CommandResultInput> {
  const devices = arbinDevicesSchema.parse([{ id: 'arbin-1', host: sim.host, port: sim.port, metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 2 }] }]);
  const resolve = commandResolver(deviceTable([{ module: createArbinModule(), devices }]), { owner: 'test', place: () => ({ run: (_entry, fn) => fn({ port: port() } as unknown as Session) }) });
  const executor = new CommandExecutor({ resolve });
  return async (c) => {
    const h = await executor.handle(c);
    if (h.kind !== 'result') throw new Error(`expected a result, got ${h.kind}`);
    return h.result;
  };
}

let sim: ArbinSimulator;
let client: ArbinCtiClient;
let run: (cmd: Command) => Promise<CommandResultInput>;
let n = 0;

function cmd(action: string, parameters: Command['parameters'], channel = 1, id = `cmd-${++n}`): Command {
  return { command_id: id, issuer: 'test', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'arbin-1', channel }, action, parameters, dry_run: false };
}

beforeAll(async () => {
  sim = await startArbinSimulator({ channels: 4, username: 'u', password: 'p', tickMs: 50, currentMv: 1 });
  client = new ArbinCtiClient({ host: sim.host, port: sim.port, credentials: { username: 'u', password: 'p' }, requestTimeoutMs: 5000 });
  await client.connect();
  run = executorOn(() => client);
});

afterAll(async () => {
  await client?.close();
  await sim?.close();
});

describe('modules > arbin > executed on the session against the simulator', () => {
  it('starts a test, and rejects a second start with the cycler\'s reason and vendor code', async () => {
    const ok = await run(cmd('arbin.start', { schedule: 'Busbar_CC.sdx', test_name: 'T1' }));
    expect(ok).toMatchObject({ status: 'EXECUTED', details: { vendor_code: '0x00', vendor_name: 'CTI_START_SUCCESS', cti_command: 'startSchedule' } });
    expect(sim.channel(1)).toMatchObject({ running: true, test_name: 'T1', schedule: 'Busbar_CC.sdx' });

    const again = await run(cmd('arbin.start', { schedule: 'Busbar_CC.sdx', test_name: 'T2' }));
    expect(again).toMatchObject({ status: 'REJECTED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { vendor_code: '0x14', vendor_name: 'CTI_ASSIGN_CHANNEL_RUNNING_ERROR', cti_command: 'assignSchedule', vendor_source: 'Arbin CTI reference README §5.1' } });
    expect(again.reason).toMatch(/^cycler refused arbin\.start on channel 1 \(assignSchedule\): channel is running \(CTI_ASSIGN_CHANNEL_RUNNING_ERROR, result 0x14/);

    const noAssign = await run(cmd('arbin.start', { test_name: 'T3', assign: false }));
    expect(noAssign).toMatchObject({ status: 'REJECTED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { vendor_code: '0x12', vendor_name: 'CTI_START_CHANNEL_RUNNING' } });
    expect(sim.channel(1).test_name).toBe('T1');

    const unknownSchedule = await run(cmd('arbin.assign_schedule', { schedule: 'Nope.sdx' }, 2));
    expect(unknownSchedule).toMatchObject({ status: 'REJECTED', details: { vendor_name: 'CTI_ASSIGN_SCHEDULE_NOT_FIND_ERROR' } });
  });

  it('coalesces set-MV requests faster than 200 ms: one result each, the superseded ones name their replacement', async () => {
    const before = sim.mvLog.length;
    const ids = ['mv-a', 'mv-b', 'mv-c', 'mv-d'];
    const values = [0.5, 1.0, 1.5, 2.0];
    const results = await Promise.all(ids.map((id, i) => run(cmd('arbin.set_meta_variable', { mv: 1, value: values[i]! }, 1, id))));
    expect(results.map((r) => [r.command_id, r.status, r.reason_code])).toEqual([
      ['mv-a', 'EXECUTED', null],
      ['mv-b', 'REJECTED', 'BB_ARBIN_MV_SUPERSEDED'],
      ['mv-c', 'REJECTED', 'BB_ARBIN_MV_SUPERSEDED'],
      ['mv-d', 'EXECUTED', null],
    ]);
    expect(results[1]!.reason).toMatch(/^superseded by command mv-c \(value 1\.5 A\) before it was sent: MV_UD1 of channel 1 was not set to 1/);
    expect(results[1]!.details).toMatchObject({ superseded_by: 'mv-c', superseding_value: '1.5', mv: 'MV_UD1', value: '1' });
    expect(results[2]!.details).toMatchObject({ superseded_by: 'mv-d' });
    expect(results[3]!.details).toMatchObject({ coalesced: '2', coalesced_commands: 'mv-b,mv-c', vendor_name: 'CTI_SET_MV_SUCCESS' });
    const sent = sim.mvLog.slice(before);
    expect(sent.map((e) => [e.channel, e.mv, e.value])).toEqual([[1, 1, 0.5], [1, 1, 2]]);
    expect(sent[1]!.atMs - sent[0]!.atMs).toBeGreaterThanOrEqual(200); // the documented minimum spacing (README §5.4)
    expect(sim.channel(1).mv[0]).toBe(2);
  });

  it('refuses a set-MV outside the configured limit without sending it, and maps the cycler\'s own refusal', async () => {
    const before = sim.mvLog.length;
    const tooHigh = await run(cmd('arbin.set_meta_variable', { mv: 1, value: 2.5 }));
    expect(tooHigh).toMatchObject({ status: 'REJECTED', reason_code: 'BB_COMMAND_OUT_OF_RANGE', reason: 'MV_UD1 (charge_current_a, A) of channel 1 = 2.5 is outside the allowed range [0, 2]' });
    const idle = await run(cmd('arbin.set_meta_variable', { mv: 1, value: 1 }, 2));
    expect(idle).toMatchObject({ status: 'REJECTED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { vendor_code: '0x12', vendor_name: 'CTI_SET_MV_CHANNEL_NOT_STARTED', vendor_meaning: 'channel is not running' } });
    expect(sim.mvLog.length).toBe(before);
  });

  it('jumps, stops, refuses a jump on a stopped channel and resumes', async () => {
    expect(await run(cmd('arbin.jump_to_step', { step: 3 }))).toMatchObject({ status: 'EXECUTED' });
    expect(sim.channel(1).step_index).toBe(3);
    expect(await run(cmd('arbin.stop', {}))).toMatchObject({ status: 'EXECUTED', details: { vendor_name: 'SUCCESS' } });
    expect(sim.channel(1).running).toBe(false);
    expect(await run(cmd('arbin.jump_to_step', { step: 1 }))).toMatchObject({ status: 'REJECTED', details: { vendor_name: 'CTI_JUMP_CHANNEL_RUNNING', vendor_meaning: 'channel not running' } });
    expect(await run(cmd('arbin.resume', {}))).toMatchObject({ status: 'EXECUTED', details: { vendor_name: 'CTI_RESUME_SUCCESS' } });
    expect(sim.channel(1).running).toBe(true);
    expect(sim.violations).toEqual([]);
  });
});

describe('modules > arbin > executed on the session: expiry checked at the wire', () => {
  /** A port that makes control commands wait 300 ms first, as `DeviceSupervisor.exclusive` does behind a poll. */
  function slowPort(waitMs: number): ArbinCyclerPort {
    const later = <R>(fn: () => Promise<R>): Promise<R> => new Promise((r) => setTimeout(r, waitMs)).then(fn);
    return {
      assignSchedule: (ch, schedule, send) => later(() => client.assignSchedule(ch, schedule, send)),
      startSchedule: (ch, options) => later(() => client.startSchedule(ch, options)),
      stopSchedule: (ch, send) => later(() => client.stopSchedule(ch, send)),
      resumeSchedule: (ch, send) => later(() => client.resumeSchedule(ch, send)),
      jumpToStep: (ch, step, send) => later(() => client.jumpToStep(ch, step, send)),
      setMetaVariable: (ch, mv, value, send) => client.setMetaVariable(ch, mv, value, send), // the client's own spacing is the queue
    };
  }

  function handler(port: ArbinCyclerPort): (c: Command) => Promise<CommandResultInput> {
    return executorOn(() => port);
  }

  const expiringIn = (c: Command, ms: number): Command => ({ ...c, expires_at: new Date(Date.now() + ms) });

  it('a stop whose expiry passes while it waits for the exclusive slot → EXPIRED, nothing sent; the same stop in time is executed', async () => {
    await client.startSchedule(3, { schedule: 'Busbar_CC.sdx', testName: 'expiry' });
    const handle = handler(slowPort(300));
    const expired = await handle(expiringIn(cmd('arbin.stop', {}, 3), 100));
    expect(expired).toMatchObject({ status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' });
    expect(expired.reason).toMatch(/expired at .* while it waited for the device; not sent/);
    expect(sim.channel(3).running).toBe(true); // the stop never reached the cycler
    expect(await handle(expiringIn(cmd('arbin.stop', {}, 3), 5_000))).toMatchObject({ status: 'EXECUTED' });
    expect(sim.channel(3).running).toBe(false);
  });

  it('a set-MV whose expiry passes while it waits for the channel\'s 200 ms spacing → EXPIRED, not in the cycler\'s MV log', async () => {
    await client.startSchedule(4, { schedule: 'Busbar_CC.sdx', testName: 'expiry-mv' });
    const handle = handler(slowPort(0));
    const before = sim.mvLog.length;
    const [first, second] = await Promise.all([
      handle(expiringIn(cmd('arbin.set_meta_variable', { mv: 1, value: 1.5 }, 4), 5_000)),
      handle(expiringIn(cmd('arbin.set_meta_variable', { mv: 1, value: 0.5 }, 4, 'mv-expiring'), 50)), // waits ≥ 200 ms behind the first
    ]);
    expect(first).toMatchObject({ status: 'EXECUTED' });
    expect(second).toMatchObject({ command_id: 'mv-expiring', status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' });
    expect(sim.mvLog.slice(before).map((e) => [e.channel, e.mv, e.value])).toEqual([[4, 1, 1.5]]);
    expect(sim.channel(4).mv[0]).toBe(1.5);
  });
});
