/**
 * Corus writes on the module's real session (`open`) against the driver's simulator, run as the
 * collector runs them (command resolver + `CommandExecutor`): the expiry of a write is checked
 * inside its slot of the session's priority queue, immediately before the first frame; a write
 * on a session whose link was lost is not sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { noopLogger, noopMetrics } from '@busbar/core';
import { CommandExecutor } from '@busbar/commands';
import { EXAMPLE_CORUS_MAP, Priority, startCorusSimulator } from '@busbar/driver-itron-corus';
import type { CorusSimulator, ExactDecimal } from '@busbar/driver-itron-corus';
import { commandResolver, deviceTable } from '@busbar/protocol';
import type { Session } from '@busbar/protocol';
import { corusDevicesSchema, resolveCorusDevices } from '../src/device-config.js';
import { createCorusModule } from '../src/module.js';
import type { CorusDeviceSession } from '../src/session.js';

let sim: CorusSimulator;
let open: CorusDeviceSession;
let executor: CommandExecutor;
const module = createCorusModule();

beforeAll(async () => {
  sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: 0, seed: 1 });
  const devices = resolveCorusDevices(corusDevicesSchema.parse([{ id: 'corus-1', connection: { kind: 'tcp', host: sim.host, port: sim.port }, map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris' }]), '.');
  open = await module.open(devices[0]!, { logger: noopLogger, metrics: noopMetrics });
  const resolve = commandResolver(deviceTable([{ module, devices }]), { owner: 'this collector', place: () => ({ run: (_entry, fn) => fn(open as unknown as Session) }) });
  executor = new CommandExecutor({ resolve });
});

afterAll(async () => {
  await open?.close();
  await sim?.close();
});

function cmd(parameters: Command['parameters'], expiresInMs: number): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + expiresInMs), target: { device_id: 'corus-1', channel: null }, action: 'corus.write_parameters', parameters, dry_run: false } as Command;
}

/** Occupies the session's queue for `ms` (as a log window in progress does). */
function busy(ms: number): Promise<void> {
  return open.corus.enqueue(Priority.read, () => new Promise<void>((r) => setTimeout(r, ms)));
}

describe('modules > corus > actions on a real session', () => {
  it('a write whose expiry passes while it waits in the session queue → EXPIRED, nothing written; in time → written', async () => {
    expect(sim.stats.connections).toBe(1); // open() signed on
    const writesBefore = sim.stats.writes;
    const holding = busy(300);
    const expired = await executor.handle(cmd({ display_contrast: '3' }, 100)); // admitted in time, waits 300 ms
    await holding;
    expect(expired).toMatchObject({ kind: 'result', result: { status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' } });
    expect(sim.stats.writes).toBe(writesBefore);

    const ok = await executor.handle(cmd({ display_contrast: '4' }, 5_000));
    expect(ok).toMatchObject({ kind: 'result', result: { status: 'EXECUTED', details: { answer: 'ACK' } } });
    expect(sim.stats.writes).toBe(writesBefore + 1);
    expect((sim.parameter('display_contrast') as ExactDecimal).toString()).toBe('4');
  });

  it('after the link is lost, a write fails not_sent (FAILED, nothing written) and the session reports the loss', async () => {
    const writesBefore = sim.stats.writes;
    sim.setFaults([{ on: 'read', kind: 'disconnect' }]); // the device drops the line in the middle of a poll
    await expect(open.corus.readParameters(['battery_days'])).rejects.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED' });
    sim.setFaults([]);
    await expect(open.lost).resolves.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED' });
    const r = await executor.handle(cmd({ display_contrast: '5' }, 5_000));
    expect(r).toMatchObject({ kind: 'result', result: { status: 'FAILED', reason_code: 'BB_CORUS_SESSION_CLOSED' } });
    expect(sim.stats.writes).toBe(writesBefore);
  });
});
