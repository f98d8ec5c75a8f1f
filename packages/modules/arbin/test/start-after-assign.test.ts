/**
 * `arbin.start` with `assign` is two exchanges (assign, then start). When the assign was accepted
 * and the start then refused or expired, the channel has the new schedule: the result must not
 * say "nothing executed" (REJECTED / EXPIRED) but FAILED, naming the assigned schedule.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { CommandExecutor } from '@busbar/commands';
import { commandResolver, deviceTable } from '@busbar/protocol';
import type { Session } from '@busbar/protocol';
import type { ArbinCyclerPort } from '../src/actions.js';
import { arbinDevicesSchema } from '../src/device-config.js';
import { createArbinModule } from '../src/module.js';

const clock = new ManualClock(Date.UTC(2026, 11, 3));
const refused = (command: string) => ({ ok: false, code: 0x12, name: 'CTI_START_CHANNEL_RUNNING', reason: 'channel is running', source: 'README §5.2', command, channel: 1, outcome: 'refused' }) as never;

/** A cycler port whose start assigns (first frame) and then starts (second frame) as the test says. */
function port(onStart: 'refuse-assign' | 'refuse-start' | 'expire-between'): ArbinCyclerPort {
  const never = (): never => { throw new Error('not used'); };
  return {
    assignSchedule: never, stopSchedule: never, resumeSchedule: never, jumpToStep: never, setMetaVariable: never,
    startSchedule: async (_ch, options) => {
      options.beforeSend?.();
      if (onStart === 'refuse-assign') return refused('assignSchedule');
      if (onStart === 'expire-between') clock.advance(120_000); // the command expires while the assign is answered
      options.beforeSend?.();
      return refused('startSchedule');
    },
  };
}

function run(p: ArbinCyclerPort, cmd: Command) {
  const devices = arbinDevicesSchema.parse([{ id: 'arbin-1', host: 'h' }]);
  const resolve = commandResolver(deviceTable([{ module: createArbinModule(), devices }]), { owner: 'test', clock, place: () => ({ run: (_e, fn) => fn({ port: p } as unknown as Session) }) });
  return new CommandExecutor({ clock, resolve }).handle(cmd);
}

const start = (id: string): Command => ({ command_id: id, issuer: 't', issued_at: new Date(clock.nowMs()), expires_at: new Date(clock.nowMs() + 60_000), target: { device_id: 'arbin-1', channel: 1 }, action: 'arbin.start', parameters: { schedule: 'CC.sdx', test_name: 'T1' }, dry_run: false });

describe('modules > arbin > arbin.start after its assign', () => {
  it('the assign refused: nothing changed on the cycler → REJECTED', async () => {
    expect(await run(port('refuse-assign'), start('a'))).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { cti_command: 'assignSchedule' } } });
  });

  it('the assign accepted, the start refused → FAILED with the assigned schedule, not REJECTED', async () => {
    const h = await run(port('refuse-start'), start('b'));
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { assigned: 'CC.sdx', cti_command: 'startSchedule' } } });
    expect(h.kind === 'result' && h.result.reason).toMatch(/^schedule CC\.sdx was assigned to channel 1, but the test was not started: /);
  });

  it('the assign accepted, the command expired before the start frame → FAILED (not EXPIRED) with the assigned schedule', async () => {
    const h = await run(port('expire-between'), start('c'));
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_ARBIN_START_NOT_SENT', details: { assigned: 'CC.sdx' } } });
  });
});
