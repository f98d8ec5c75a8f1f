/**
 * Arbin CTI in the commander and in the Arbin collector: the `arbin:` configuration section and the
 * protocol binding.
 *
 * Session: **exclusive, always.** The commander never connects to a cycler; it validates and routes
 * Arbin commands to `busbar.device-commands.v1`, and the Arbin collector that polls the cycler runs
 * them on its own CTI connection (docs/architecture.md "Single-session devices"). Why:
 * - the set-MV spacing (one update per 200 ms per channel, Arbin CTI reference README §5.4, §10) and
 *   the coalescing of faster requests can only be kept where every set-MV of a channel passes, i.e.
 *   one connection;
 * - the server's client limit ("rejected, it is full") and kick-out policy are undocumented
 *   (README §6.1, §11.13): a second connection per cycler is a risk, not a feature;
 * - login is per TCP connection and one request is in flight at a time (README §2): the collector's
 *   client already queues commands between channel reads.
 *
 * The collector creates the same binding with `owner` set: it then executes (instead of routing)
 * with the owner's CTI client, and {@link ArbinBinding.finalize} completes each result (vendor
 * details; REJECTED when the cycler refused or the command was coalesced away).
 */
import { z } from 'zod';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics, systemClock } from '@busbar/core';
import type { Command, CommandResultInput } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import type { ProtocolBinding } from '../binding.js';
import type { PreparedAction } from '@busbar/commands';
import type { ArbinCyclerPort, ArbinPlan } from './actions.js';
import { acceptCyclerResult, describeArbinPlan, expiryAtTheWire, sendArbinPlan, validateArbinCommand, vendorDetails } from './actions.js';
import { MvCoalescingLedger } from './coalescing.js';
import type { ArbinDeviceConfig } from './config.js';
import { arbinDevicesSchema } from './config.js';
import { ARBIN_NOT_EXECUTED_CODES } from './errors.js';

/** The commander's (and the Arbin collector's) `arbin:` section: the cyclers with their limits. */
export const arbinCommanderSectionSchema = z.object({ devices: arbinDevicesSchema }).strict();

/** Parsed `arbin:` section. */
export type ArbinCommanderSection = z.output<typeof arbinCommanderSectionSchema>;

/** The process that owns the cyclers' CTI connections (the Arbin collector). */
export interface ArbinOwner {
  /** The CTI port of an owned device, `undefined` when this process does not own it. */
  port(deviceId: string): ArbinCyclerPort | undefined;
}

/** Dependencies of {@link createArbinBinding}. */
export interface ArbinBindingDeps {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Set by the collector: execute owned devices' commands instead of routing them. */
  readonly owner?: ArbinOwner;
  /**
   * Clock of the expiry check at the wire (default the system clock): every executed command's
   * `expires_at` is checked again immediately before its bytes leave, after the queues it waited
   * in (supervisor `exclusive`, the client's request queue, the set-MV spacing); expired → nothing
   * is sent, `BB_COMMAND_EXPIRED` (the executor reports EXPIRED).
   */
  readonly clock?: Clock;
}

/** The Arbin binding: a {@link ProtocolBinding} plus the result completion used by the owner. */
export interface ArbinBinding extends ProtocolBinding {
  /** The configured cyclers. */
  readonly devices: readonly ArbinDeviceConfig[];
  /**
   * Completes a result the `CommandExecutor` produced for an Arbin command executed here: adds the
   * vendor details (vendor_code, vendor_name, vendor_meaning, vendor_source, superseded_by...) and
   * turns FAILED into REJECTED for `BB_ARBIN_CYCLER_REFUSED` / `BB_ARBIN_MV_SUPERSEDED` (the cycler
   * did not execute it). Other results are returned unchanged.
   */
  finalize(result: CommandResultInput): CommandResultInput;
}

/**
 * Creates the Arbin binding.
 *
 * @param section - the parsed `arbin:` section.
 * @param routeTopic - topic of routed device commands (consumed by the Arbin collector).
 * @param deps - logger, metrics; `owner` in the collector.
 */
export function createArbinBinding(section: ArbinCommanderSection, routeTopic: string, deps: ArbinBindingDeps = {}): ArbinBinding {
  const byId = new Map(section.devices.map((d) => [d.id, d]));
  const log = (deps.logger ?? noopLogger).child({ protocol: 'arbin-cti' });
  const coalesced = (deps.metrics ?? noopMetrics).counter({ name: 'busbar_arbin_commands_coalesced_total', help: 'set-MV commands replaced by a newer value before they were sent.', labelNames: ['device'] });
  const ledger = new MvCoalescingLedger();
  const clock = deps.clock ?? systemClock;
  const extra = new Map<string, Record<string, string>>();

  const remember = (commandId: string, details: Record<string, string>): void => {
    extra.set(commandId, { ...(extra.get(commandId) ?? {}), ...details });
  };

  const prepare = (cmd: Command, device: ArbinDeviceConfig, plan: ArbinPlan, port: ArbinCyclerPort): PreparedAction => {
    const summary = describeArbinPlan(plan);
    const id = cmd.command_id;
    const send = expiryAtTheWire(cmd, clock);
    const accept = (r: Parameters<typeof vendorDetails>[0]): Record<string, string> => {
      try {
        return acceptCyclerResult(cmd.action, r);
      } catch (err) {
        remember(id, vendorDetails(r));
        throw err;
      }
    };
    if (plan.kind !== 'set_meta_variable') return { summary, run: async () => accept(await sendArbinPlan(plan, port, send)) };
    const key = MvCoalescingLedger.key(device.id, plan.channel, plan.mv);
    return {
      summary,
      run: async () => {
        ledger.submitted(key, id, plan.value); // before the client call: a supersession happens inside it
        let r;
        try {
          r = await sendArbinPlan(plan, port, send);
        } catch (err) {
          ledger.settled(id);
          throw err;
        }
        if (r.superseded === true) {
          const by = ledger.superseded(id);
          coalesced.inc({ device: device.id });
          remember(id, { superseded_by: by?.by ?? 'unknown', mv: `MV_UD${plan.mv}`, value: String(plan.value), ...(by ? { superseding_value: String(by.value) } : {}) });
          log.info({ device: device.id, commandId: id, supersededBy: by?.by, channel: plan.channel, mv: plan.mv }, 'set-MV coalesced');
          throw new CommandRefusedError(
            'BB_ARBIN_MV_SUPERSEDED',
            `superseded by command ${by?.by ?? '(unknown)'}${by ? ` (value ${by.value} ${plan.limit.unit})` : ''} before it was sent: MV_UD${plan.mv} of channel ${plan.channel} was not set to ${plan.value}; set-MV commands to one channel are spaced ≥ ${device.mvMinIntervalMs} ms apart (Arbin CTI reference README §5.4)`,
            { superseded_by: by?.by ?? null },
          );
        }
        const absorbed = ledger.settled(id);
        const details = accept(r);
        return absorbed.length > 0 ? { ...details, coalesced: String(absorbed.length), coalesced_commands: absorbed.join(',') } : details;
      },
    };
  };

  return {
    protocol: 'arbin-cti',
    actionPrefix: 'arbin.',
    devices: section.devices,
    has: (id) => byId.has(id),
    resolve: (cmd) => {
      const device = byId.get(cmd.target.device_id);
      if (device === undefined) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_DEVICE', `device ${cmd.target.device_id} is not a configured Arbin cycler`, { device: cmd.target.device_id });
      const plan = validateArbinCommand(cmd, device); // throws refusals; nothing sent
      const port = deps.owner?.port(device.id);
      if (port === undefined) return { kind: 'route', to: routeTopic };
      return { kind: 'execute', action: prepare(cmd, device, plan, port) };
    },
    finalize: (result) => {
      const d = extra.get(result.command_id);
      extra.delete(result.command_id);
      const notExecuted = result.status === 'FAILED' && result.reason_code !== null && result.reason_code !== undefined && ARBIN_NOT_EXECUTED_CODES.has(result.reason_code);
      if (d === undefined && !notExecuted) return result;
      return { ...result, status: notExecuted ? 'REJECTED' : result.status, details: { ...(result.details ?? {}), ...(d ?? {}) } };
    },
    close: async () => undefined,
  };
}
