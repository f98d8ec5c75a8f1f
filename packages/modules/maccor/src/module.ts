/**
 * The Maccor MacNet protocol module.
 *
 * Session: **exclusive, always** (device-config.ts says why): the commander validates and routes
 * every `maccor.*` command, the Maccor collector that polls the tester runs it on its own MacNet
 * connection, between two polls (the client's request queue also puts command requests ahead of
 * queued poll requests, Maccor MacNet reference §12). `maccor.set_direct_output` is
 * {@link ProtocolAction.concurrent}: it does not wait for the poll in progress; the module paces it
 * (newest wins) instead.
 *
 * Poll: the budgeted plan of poll-plan.ts — bulk (4,1)/(4,2)/(4,3)/(4,9) of every channel, then a
 * round-robin slice of per-channel (4,7) (and (4,4)) details; one Reading per channel, a DeviceEvent
 * per channel state transition (records.ts).
 *
 * Direct control ({@link ProtocolModule.attach}): one {@link DirectControl} per tester in the
 * collector, living across sessions, reports its watchdog and shutdown rests through the runtime.
 */
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, noopLogger, noopMetrics, systemClock } from '@busbar/core';
import { defineAction } from '@busbar/protocol';
import type { ProtocolAction, ProtocolModule } from '@busbar/protocol';
import type { PreparedMaccorCommand } from './actions.js';
import { MACCOR_ACTIONS, prepareMaccorCommand } from './actions.js';
import type { MaccorDeviceConfig } from './device-config.js';
import { maccorDevicesSchema } from './device-config.js';
import { DirectControl } from './direct-control.js';
import { TesterPoller } from './poller.js';
import type { MaccorState, TesterPoll } from './records.js';
import { PROTOCOL, pollRecords } from './records.js';
import type { MaccorSession } from './session.js';
import { openTesterSession } from './session.js';

/** Options of {@link createMaccorModule}. */
export interface MaccorModuleOptions {
  /** For the poll-plan gauges and poll durations (default: none). */
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Time source of the poller and direct control (default the system clock). */
  readonly clock?: Clock;
  /**
   * Read every channel's (4,7) details in each poll instead of the plan's slice (`--test` mode:
   * one poll shows everything). Default false.
   */
  readonly allDetails?: boolean;
}

/** The concurrent action: a set-point paced (and superseded) by direct control. */
const CONCURRENT_ACTION = 'maccor.set_direct_output';

/**
 * Creates the Maccor module: `maccor.start_test`, `maccor.set_variable`, `maccor.suspend`,
 * `maccor.resume`, `maccor.reset`, `maccor.start_direct_control`, `maccor.set_direct_output`.
 */
export function createMaccorModule(options: MaccorModuleOptions = {}): ProtocolModule<MaccorDeviceConfig, MaccorSession, TesterPoll, MaccorState> {
  const metrics = options.metrics ?? noopMetrics;
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? noopLogger).child({ protocol: PROTOCOL });
  /** Per tester across sessions: the round-robin cursor and the latest details of every channel. */
  const pollers = new Map<string, TesterPoller>();
  /** Per tester in a collector (from `attach`). */
  const controls = new Map<string, DirectControl>();

  const pollerOf = (device: MaccorDeviceConfig): TesterPoller => {
    let p = pollers.get(device.id);
    if (p === undefined) {
      p = new TesterPoller(device, metrics, clock);
      pollers.set(device.id, p);
      log.info({ device: device.id, plan: p.plan }, 'maccor poll plan');
      if (p.plan.overBudget) log.warn({ device: device.id, plan: p.plan }, 'the minimal poll plan does not fit the poll budget: raise pollIntervalMs or pollBudgetFraction');
    }
    return p;
  };

  const action = (name: string): ProtocolAction<MaccorDeviceConfig, MaccorSession, never> =>
    defineAction<MaccorDeviceConfig, MaccorSession, PreparedMaccorCommand>({
      validate: (cmd, device) => prepareMaccorCommand(cmd, device, new Date(clock.nowMs())),
      describe: (plan) => plan.summary,
      execute: (_session, plan, ctx) => {
        const control = controls.get(ctx.command.target.device_id);
        if (control === undefined) {
          return Promise.reject(new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `tester ${ctx.command.target.device_id}: Maccor commands run only in the Maccor collector that owns the tester (module attached); nothing was sent`, { outcome: 'not_sent' }));
        }
        return control.run(plan.operation, ctx.command, ctx.beforeSend);
      },
      concurrent: name === CONCURRENT_ACTION,
    });

  return {
    protocol: PROTOCOL,
    actionPrefix: 'maccor.',
    devicesSchema: maccorDevicesSchema,
    resolveDevices: (devices) => devices,
    sessionMode: () => 'exclusive',
    open: (device, ctx) => openTesterSession(device, ctx.logger, ctx.metrics),
    poll: (session, device) => pollerOf(device).poll(session.client, options.allDetails ?? false),
    toRecords: (device, poll, ctx) => pollRecords(device.id, poll, ctx.state, ctx.atMs, ctx.nextSequence),
    initialState: () => new Map(),
    connected: (session, _device, { outageMs }) => ({
      reason: outageMs > 0 ? `reconnected and signed on again after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected and signed on',
      details: { system_id: session.info.systemId, system_type: String(session.info.systemType), test_channels: String(session.info.testChannels) },
    }),
    attach: (devices, runtime) => {
      for (const device of devices) {
        controls.set(device.id, new DirectControl(device, () => runtime.session(device.id)?.client, runtime, { logger: runtime.logger, metrics: runtime.metrics, clock }));
      }
      return {
        stop: async () => {
          await Promise.all(devices.map((d) => controls.get(d.id)?.stop()));
        },
        health: () => ({ direct_control: Object.fromEntries(devices.map((d) => [d.id, controls.get(d.id)?.directChannels() ?? []])) }),
      };
    },
    actions: Object.fromEntries(MACCOR_ACTIONS.map((name) => [name, action(name)])),
  };
}
