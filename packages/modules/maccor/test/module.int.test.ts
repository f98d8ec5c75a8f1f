/**
 * The Maccor module as the collector runtime drives it, against the simulated tester (real TCP on
 * loopback): open (connect once, sign on), poll → records, the loss of a session, and direct control
 * attached across sessions (a rest that could not go out while the tester was away goes out on the
 * next session). The runtime is played by the test: it opens sessions and answers `session(id)`.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Command, CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { CommandExecutor } from '@busbar/commands';
import { MaccorClient, startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { MaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { ModuleActivity } from '@busbar/protocol';
import { maccorDevicesSchema } from '../src/device-config.js';
import { createMaccorModule } from '../src/module.js';
import type { MaccorSession } from '../src/session.js';

const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };
const ctxOpen = { logger: noopLogger, metrics: noopMetrics };

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function simulator(port = 0): Promise<MaccorSimulator> {
  const sim = await startMaccorSimulator({ port, channels: 4, seed: 5 });
  cleanup.push(() => sim.close());
  return sim;
}

function deviceFor(sim: MaccorSimulator, extra: Record<string, unknown> = {}) {
  return maccorDevicesSchema.parse([{ id: 'mac-1', host: sim.host, jsonPort: sim.port, channels: 4, requestTimeoutMs: 1000, connectTimeoutMs: 1000, ...extra }])[0]!;
}

function command(action: string, channel: number, parameters: Command['parameters'] = {}): Command {
  return { command_id: randomUUID(), issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'mac-1', channel }, action, parameters, dry_run: false };
}

describe('createMaccorModule (against the simulator)', () => {
  it('opens once and signs on, polls, turns the poll into one Reading per channel; the session reports its loss and never reconnects', async () => {
    const sim = await simulator();
    const module = createMaccorModule();
    const device = deviceFor(sim);
    const session = await module.open(device, ctxOpen);
    expect(session.info.testChannels).toBe(4);
    expect(module.connected!(session, device, { outageMs: 0 })).toMatchObject({ reason: 'connected and signed on', details: { test_channels: '4' } });
    const state = module.initialState!(device);
    let seq = 0;
    const records = module.toRecords(device, await module.poll(session, device), { atMs: 1_000, nextSequence: () => ++seq, state });
    expect(records.readings.map((r) => r.channel)).toEqual([1, 2, 3, 4]);
    expect(records.readings[0]!.values.voltage_v).toBeCloseTo(sim.channel(1).voltage_v, 2);

    await sim.close();
    await expect(session.lost).resolves.toMatchObject({ code: 'BB_MACCOR_CONNECTION_LOST' });
    await expect(module.poll(session, device)).rejects.toMatchObject({ outcome: 'not_sent' });
    await session.close(); // no throw on a lost session
  });

  it('refuses a session when the configured channels exceed the tester, and a tester nobody listens for', async () => {
    const sim = await simulator();
    const module = createMaccorModule();
    await expect(module.open(deviceFor(sim, { channels: 6 }), ctxOpen)).rejects.toMatchObject({ code: 'BB_MACCOR_CHANNELS_EXCEED_TESTER' });
    await sim.close();
    await expect(module.open(deviceFor(sim), ctxOpen)).rejects.toMatchObject({ code: 'BB_MACCOR_CONNECT_FAILED', outcome: 'not_sent' });
  });

  it('direct control outlives a session: the watchdog rest that failed while the tester was away goes out on the next session', async () => {
    const sim = await simulator();
    const port = sim.port;
    const module = createMaccorModule();
    const device = deviceFor(sim, { directControl: { watchdogMs: 400, testerWatchdogS: 0 }, channelSettings: { '1': { safety: SAFETY, envelope: ENVELOPE } } });
    let current: MaccorSession | undefined = await module.open(device, ctxOpen);
    const events: DeviceEventInput[] = [];
    const results: CommandResultInput[] = [];
    const activity: ModuleActivity = module.attach!([device], { session: () => current, publishEvent: async (e) => void events.push(e), publishResult: async (r) => void results.push(r), logger: noopLogger, metrics: noopMetrics });
    cleanup.push(() => activity.stop());
    const run = (cmd: Command) => {
      const action = module.actions[cmd.action]!;
      return action.execute(current!, action.validate(cmd, device), { command: cmd, beforeSend: () => undefined, clock: { nowMs: () => Date.now() }, logger: noopLogger });
    };
    await run(command('maccor.start_direct_control', 1));
    await new Promise((r) => setTimeout(r, 120));
    await run(command('maccor.set_direct_output', 1, { mode: 'charge', current_a: 1, voltage_v: 4.1 }));
    expect(activity.health!()).toEqual({ direct_control: { 'mac-1': [1] } });

    // the tester goes away; the runtime has no session until it reconnects
    await sim.close();
    await current.lost;
    current = undefined;
    await expect.poll(() => events.length, { timeout: 5_000 }).toBe(1);
    expect(events[0]).toMatchObject({ kind: 'FAULT', channel: 1, state: 'unknown', error_code: 'BB_MACCOR_WATCHDOG_EXPIRED', details: { rest_outcome: 'retrying', rest_error_code: 'BB_MACCOR_CONNECTION_LOST' } });
    expect(results).toEqual([]);

    // the runtime reconnects: a new tester process (not in direct mode) answers the next rest attempt
    const again = await simulator(port);
    current = await module.open(device, ctxOpen);
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(1);
    expect(results[0]).toMatchObject({ action: 'maccor.watchdog_rest', status: 'EXECUTED', reason_code: 'BB_MACCOR_WATCHDOG_EXPIRED', details: { rest_outcome: 'not_direct' } });
    expect(Number(results[0]!.details!.rest_attempts)).toBeGreaterThanOrEqual(2);
    expect(again.requests.filter((q) => q.fclass === 6 && q.fnum === 8)).toHaveLength(1); // one rest on the new session
    expect(activity.health!()).toEqual({ direct_control: { 'mac-1': [] } });
    await current.close();
  });

  it('the outcome travels on the error to the result: unanswered after it left → FAILED unknown; after the loss → FAILED not_sent; a tester refusal → REJECTED', async () => {
    const sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 5, serviceTimeMs: 400 });
    cleanup.push(() => sim.close());
    const module = createMaccorModule();
    const device = deviceFor(sim, { channelSettings: { '1': { safety: SAFETY, variables: [{ var_num: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 1 }] } } });
    const client = new MaccorClient({ host: sim.host, jsonPort: sim.port, requestTimeoutMs: 150 }); // shorter than the tester's 400 ms
    cleanup.push(() => client.close());
    const session = { client, info: { systemId: 'sim', systemType: 0, controllerBoards: 1, testChannels: 4, auxBoards: 0, auxChannels: 0, smb1Pos: 0, smb3Pos: 0 }, lost: client.lost, close: async () => client.close() } satisfies MaccorSession;
    const activity = module.attach!([device], { session: () => session, publishEvent: async () => undefined, publishResult: async () => undefined, logger: noopLogger, metrics: noopMetrics });
    cleanup.push(() => activity.stop());
    const executor = new CommandExecutor({
      resolve: (cmd) => {
        const action = module.actions[cmd.action]!;
        const plan = action.validate(cmd, device);
        return { kind: 'execute', action: { summary: action.describe(plan), run: () => action.execute(session, plan, { command: cmd, beforeSend: () => undefined, clock: { nowMs: () => Date.now() }, logger: noopLogger }) } };
      },
    });
    const resultOf = async (cmd: Command) => {
      const h = await executor.handle(cmd);
      if (h.kind !== 'result') throw new Error(`unexpected ${h.kind}`);
      return h.result;
    };
    const unknown = await resultOf(command('maccor.set_variable', 1, { var_num: 1, value: 0.5 }));
    expect(unknown).toMatchObject({ status: 'FAILED', reason_code: 'BB_MACCOR_TIMEOUT', details: { outcome: 'unknown' } });
    expect(unknown.reason).toMatch(/may have executed it/);
    await expect.poll(() => sim.requests.filter((q) => q.fclass === 6 && q.fnum === 9).length).toBe(1); // it did reach the tester
    const afterLoss = await resultOf(command('maccor.reset', 1));
    expect(afterLoss).toMatchObject({ status: 'FAILED', reason_code: 'BB_MACCOR_CONNECTION_LOST', details: { outcome: 'not_sent' } });
    expect(sim.requests.filter((q) => q.fclass === 6 && q.fnum === 5)).toHaveLength(0);

    const quick = await simulator();
    const fresh = new MaccorClient({ host: quick.host, jsonPort: quick.port, requestTimeoutMs: 1000 });
    cleanup.push(() => fresh.close());
    Object.assign(session, { client: fresh });
    const refused = await resultOf(command('maccor.start_test', 1, { procedure: 'NoSuchProcedure', test_name: 'busbar-t1' }));
    expect(refused).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_PROCEDURE_MISSING' });
    expect(quick.requests.filter((q) => q.fclass === 6 && q.fnum === 2)).toHaveLength(0);
  });
});
