/**
 * The Arbin CTI protocol module.
 *
 * Session: **exclusive, always.** The commander never connects to a cycler; it validates and routes
 * Arbin commands, and the Arbin collector that polls the cycler runs them on its own CTI connection
 * (docs/architecture.md "Single-session devices"). Why:
 * - the set-MV spacing (one update per 200 ms per channel, Arbin CTI reference README §5.4, §10) and
 *   the coalescing of faster requests can only be kept where every set-MV of a channel passes, i.e.
 *   one connection;
 * - the server's client limit ("rejected, it is full") and kick-out policy are undocumented
 *   (README §6.1, §11.13): a second connection per cycler is a risk, not a feature;
 * - login is per TCP connection and one request is in flight at a time (README §2).
 *
 * Results carry the cycler's vendor details (vendor_code, vendor_name, vendor_meaning,
 * vendor_source); a refusal by the cycler, or a set-MV coalesced away before it was sent, is a
 * `CommandRefusedError` (REJECTED) whose context holds those details.
 */
import type { ChannelReading } from '@busbar/driver-arbin-cti';
import { BusbarError, noopLogger, noopMetrics } from '@busbar/core';
import type { Logger, Metrics } from '@busbar/core';
import { defineAction } from '@busbar/protocol';
import type { ActionContext, ProtocolAction, ProtocolModule } from '@busbar/protocol';
import { CommandRefusedError } from '@busbar/safety';
import type { ArbinPlan } from './actions.js';
import { ARBIN_ACTIONS, acceptCyclerResult, describeArbinPlan, sendArbinPlan, validateArbinCommand } from './actions.js';
import { MvCoalescingLedger } from './coalescing.js';
import type { ArbinDeviceConfig } from './device-config.js';
import { arbinDevicesSchema } from './device-config.js';
import { PROTOCOL, pollRecords } from './records.js';
import type { ArbinSession, Credentials } from './session.js';
import { openCyclerSession } from './session.js';

/** Options of {@link createArbinModule}. */
export interface ArbinModuleOptions {
  /**
   * The CTI user (never logged); the collector's (`loadArbinCredentials(process.env)`). Absent in
   * the commander, which never opens a cycler's session.
   */
  readonly credentials?: Credentials;
  /** For `busbar_arbin_commands_coalesced_total` (default: none). */
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** Per cycler across polls: each channel's previous reading (its state transitions become events). */
type ArbinState = Map<number, ChannelReading>;

/**
 * Creates the Arbin module: `arbin.assign_schedule`, `arbin.start`, `arbin.stop`, `arbin.resume`,
 * `arbin.jump_to_step`, `arbin.set_meta_variable` (concurrent: spaced and coalesced by the client).
 */
export function createArbinModule(options: ArbinModuleOptions = {}): ProtocolModule<ArbinDeviceConfig, ArbinSession, ChannelReading[], ArbinState> {
  const ledger = new MvCoalescingLedger();
  const log = (options.logger ?? noopLogger).child({ protocol: PROTOCOL });
  const coalesced = (options.metrics ?? noopMetrics).counter({ name: 'busbar_arbin_commands_coalesced_total', help: 'set-MV commands replaced by a newer value before they were sent.', labelNames: ['device'] });

  /**
   * Sends a control plan in one exchange (or assign + start). A start that assigns its schedule is
   * two exchanges: when the assign was accepted and the start then refused (or expired before its
   * frame left), the channel has the new schedule — that is not "nothing executed": the result is
   * FAILED (no REJECTED, no EXPIRED) with `details.assigned` naming the schedule.
   */
  const control = async (session: ArbinSession, plan: ArbinPlan, ctx: ActionContext): Promise<Record<string, string>> => {
    let framesSent = 0;
    const beforeSend = (): void => {
      ctx.beforeSend();
      framesSent++;
    };
    try {
      return acceptCyclerResult(ctx.command.action, await sendArbinPlan(plan, session.port, { beforeSend }));
    } catch (err) {
      if (plan.kind !== 'start' || !plan.assign || plan.schedule === undefined) throw err;
      const refusedStart = err instanceof CommandRefusedError && err.context.cti_command === 'startSchedule';
      const expiredAfterAssign = err instanceof CommandRefusedError && err.code === 'BB_COMMAND_EXPIRED' && framesSent >= 1;
      if (!refusedStart && !expiredAfterAssign) throw err;
      const what = refusedStart ? err.message : `the command expired after the assign, before the start was sent (${err.message})`;
      throw new BusbarError(refusedStart ? err.code : 'BB_ARBIN_START_NOT_SENT', `schedule ${plan.schedule} was assigned to channel ${plan.channel}, but the test was not started: ${what}`, {
        cause: err, retriable: false, context: { ...(err as CommandRefusedError).context, assigned: plan.schedule },
      });
    }
  };

  /** Sends a set-MV, recording submission order so a superseded command names its replacement. */
  const setMv = async (session: ArbinSession, plan: ArbinPlan & { kind: 'set_meta_variable' }, ctx: ActionContext): Promise<Record<string, string>> => {
    const device = ctx.command.target.device_id;
    const id = ctx.command.command_id;
    const key = MvCoalescingLedger.key(device, plan.channel, plan.mv);
    ledger.submitted(key, id, plan.value); // before the client call: a supersession happens inside it
    let r;
    try {
      r = await sendArbinPlan(plan, session.port, { beforeSend: ctx.beforeSend });
    } catch (err) {
      ledger.settled(id);
      throw err;
    }
    if (r.superseded === true) {
      const by = ledger.superseded(id);
      coalesced.inc({ device });
      log.info({ device, commandId: id, supersededBy: by?.by, channel: plan.channel, mv: plan.mv }, 'set-MV coalesced');
      throw new CommandRefusedError(
        'BB_ARBIN_MV_SUPERSEDED',
        `superseded by command ${by?.by ?? '(unknown)'}${by ? ` (value ${by.value} ${plan.limit.unit})` : ''} before it was sent: MV_UD${plan.mv} of channel ${plan.channel} was not set to ${plan.value}; set-MV commands to one channel are spaced apart (Arbin CTI reference README §5.4)`,
        { superseded_by: by?.by ?? 'unknown', mv: `MV_UD${plan.mv}`, value: String(plan.value), ...(by ? { superseding_value: String(by.value) } : {}) },
      );
    }
    const absorbed = ledger.settled(id);
    const details = acceptCyclerResult(ctx.command.action, r);
    return absorbed.length > 0 ? { ...details, coalesced: String(absorbed.length), coalesced_commands: absorbed.join(',') } : details;
  };

  const action = (concurrent = false): ProtocolAction<ArbinDeviceConfig, ArbinSession, never> =>
    defineAction<ArbinDeviceConfig, ArbinSession, ArbinPlan>({
      validate: (cmd, device) => validateArbinCommand(cmd, device),
      describe: describeArbinPlan,
      execute: (session, plan, ctx) => (plan.kind === 'set_meta_variable' ? setMv(session, plan, ctx) : control(session, plan, ctx)),
      concurrent,
    });

  return {
    protocol: PROTOCOL,
    actionPrefix: 'arbin.',
    devicesSchema: arbinDevicesSchema,
    resolveDevices: (devices) => devices,
    sessionMode: () => 'exclusive',
    open: (device, ctx) => {
      if (options.credentials === undefined) return Promise.reject(new Error(`no CTI credentials: this process does not open Arbin sessions (cycler ${device.id})`));
      return openCyclerSession(device, options.credentials, ctx.logger, ctx.metrics);
    },
    poll: (session, device) => session.client.getChannels(session.channels, { aux: device.aux, mode: device.readMode }),
    toRecords: (device, readings, ctx) => pollRecords(device.id, readings, ctx.state, ctx.atMs, ctx.nextSequence),
    initialState: () => new Map<number, ChannelReading>(),
    connected: (session, _device, { outageMs }) => ({
      reason: outageMs > 0 ? `reconnected and logged in again after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected and logged in',
      details: { serial: session.login.cycler_sn, num_channels: String(session.login.num_channels), allow_control: String(session.login.allow_control), channels_polled: String(session.channels.length) },
    }),
    // a stop never overtakes the set-MVs before it
    orderAfterConcurrent: true,
    actions: {
      [ARBIN_ACTIONS.assignSchedule]: action(),
      [ARBIN_ACTIONS.start]: action(),
      [ARBIN_ACTIONS.stop]: action(),
      [ARBIN_ACTIONS.resume]: action(),
      [ARBIN_ACTIONS.jumpToStep]: action(),
      [ARBIN_ACTIONS.setMetaVariable]: action(true),
    },
  };
}
