/**
 * The `basytec.*` actions: start and stop prepared test plans over RCI (BaSyTec integration
 * reference §6: RCI starts/stops prepared plans, at most 10 commands/s, replies in 1 s to
 * minutes; the syntax is not public, so the requests are the configured templates `start` and
 * `stop`). There are no set-point actions: a BaSyTec tester takes no set-points from outside (§1).
 *
 * | action | parameters | RCI template |
 * | --- | --- | --- |
 * | `basytec.start_test` | `plan` (one of `rci.plans`), `target.channel` | `start` with `{channel}`, `{plan}` |
 * | `basytec.stop_test` | `target.channel` | `stop` with `{channel}` |
 *
 * Outcomes (on the error, `BusbarError.outcome`): validation refusals and a closed/unreachable
 * RCI connection are `not_sent`; a reply matching the template's refusal pattern is `refused`
 * (`BB_BASYTEC_RCI_REFUSED`, the reply in the details); a timeout, an unexpected reply or a lost
 * connection after the request left are `unknown`.
 */
import type { Command } from '@busbar/avro';
import { CommandRefusedError, requireParameter } from '@busbar/safety';
import type { RciReply } from '@busbar/driver-basytec';
import type { BasytecDeviceConfig } from './device-config.js';

/** Action names. */
export const BASYTEC_ACTIONS = { startTest: 'basytec.start_test', stopTest: 'basytec.stop_test' } as const;

/** A validated command. */
export type BasytecPlan = { readonly kind: 'start'; readonly channel: number; readonly plan: string } | { readonly kind: 'stop'; readonly channel: number };

/**
 * Validates a `basytec.*` command against the tester's configuration. Pure: nothing is sent.
 *
 * @throws {CommandRefusedError} `BB_BASYTEC_RCI_NOT_CONFIGURED` (no `rci:`), `BB_BASYTEC_CHANNEL_REQUIRED`,
 *   `BB_BASYTEC_CHANNEL_NOT_CONFIGURED` (not in `rci.channels`), `BB_COMMAND_PARAMETER_MISSING` /
 *   `BB_COMMAND_PARAMETER_INVALID` (`plan`), `BB_BASYTEC_PLAN_NOT_ALLOWED` (not in `rci.plans`),
 *   `BB_COMMAND_UNKNOWN_ACTION`.
 */
export function validateBasytecCommand(cmd: Command, device: BasytecDeviceConfig): BasytecPlan {
  const rci = device.rci;
  if (rci === undefined) throw new CommandRefusedError('BB_BASYTEC_RCI_NOT_CONFIGURED', `tester ${device.id} has no rci section: it cannot be controlled remotely`, { device: device.id });
  const channel = cmd.target.channel;
  if (channel === null || channel === undefined) throw new CommandRefusedError('BB_BASYTEC_CHANNEL_REQUIRED', `${cmd.action} needs target.channel`, { device: device.id });
  if (rci.channels !== undefined && !rci.channels.includes(channel)) {
    throw new CommandRefusedError('BB_BASYTEC_CHANNEL_NOT_CONFIGURED', `channel ${channel} is not one of the channels of tester ${device.id} (${rci.channels.join(', ')})`, { channel });
  }
  if (cmd.action === BASYTEC_ACTIONS.stopTest) return { kind: 'stop', channel };
  if (cmd.action !== BASYTEC_ACTIONS.startTest) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not a BaSyTec action (${Object.values(BASYTEC_ACTIONS).join(', ')})`);
  const plan = requireParameter(cmd.parameters, 'plan');
  if (typeof plan !== 'string') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter plan must be text (a prepared test plan name), got ${JSON.stringify(plan)}`, { parameter: 'plan' });
  if (!rci.plans.includes(plan)) {
    throw new CommandRefusedError('BB_BASYTEC_PLAN_NOT_ALLOWED', `plan ${JSON.stringify(plan)} is not in the plans of tester ${device.id} (${rci.plans.join(', ')})`, { parameter: 'plan', plan });
  }
  return { kind: 'start', channel, plan };
}

/** One line for logs and the result's `summary`. */
export function describeBasytecPlan(p: BasytecPlan): string {
  return p.kind === 'start' ? `start plan ${p.plan} on channel ${p.channel}` : `stop the test on channel ${p.channel}`;
}

/** The result details of an accepted RCI reply (request and reply lines, named groups). */
export function replyDetails(r: RciReply): Record<string, string> {
  return { rci_command: r.command, rci_request: r.request, rci_reply: r.reply, ...Object.fromEntries(Object.entries(r.groups).map(([k, v]) => [`rci_${k}`, v])) };
}
