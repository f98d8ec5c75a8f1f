/**
 * From a command to what to do with it, for any protocol: find the device among the modules'
 * devices, check the action belongs to its protocol, validate it (pure: nothing sent), then either
 * route it to the collector that owns an exclusive-session device or run it on a session.
 *
 * The commander runs shared-session devices' commands on {@link SharedSessions}; a collector runs
 * the commands of the devices it owns on the supervised session (`@busbar/collector-kit`).
 */
import type { Clock, Logger } from '@busbar/core';
import { BusbarError, errorOutcome, noopLogger, systemClock } from '@busbar/core';
import type { Command } from '@busbar/avro';
import type { Disposition } from '@busbar/commands';
import { CommandRefusedError, assertNotExpired } from '@busbar/safety';
import type { AnyProtocolModule, DeviceConfigBase, OpenContext, Session } from './module.js';

/** One configured device and the module of its protocol. */
export interface DeviceEntry {
  readonly module: AnyProtocolModule;
  readonly device: DeviceConfigBase;
}

/** The devices of several protocols, by id. */
export type DeviceTable = ReadonlyMap<string, DeviceEntry>;

/**
 * Builds the table of devices by id.
 *
 * @param protocols - each module with its resolved devices.
 * @throws {BusbarError} `BB_CONFIG_INVALID` when one device id is configured under two protocols
 *   (a command's device must name one protocol).
 */
export function deviceTable(protocols: readonly { readonly module: AnyProtocolModule; readonly devices: readonly DeviceConfigBase[] }[]): DeviceTable {
  const table = new Map<string, DeviceEntry>();
  for (const { module, devices } of protocols) {
    for (const device of devices) {
      const other = table.get(device.id);
      if (other !== undefined) throw new BusbarError('BB_CONFIG_INVALID', `device id ${device.id} is configured under ${other.module.protocol} and ${module.protocol}: a device id must name one device`);
      table.set(device.id, { module, device });
    }
  }
  return table;
}

/**
 * Runs `fn` on an open session of `entry`'s device; how is the caller's (shared pool, supervisor).
 * `concurrent` is the action's {@link ProtocolAction.concurrent}: such a command does not wait in
 * the session's exclusive queue (its driver paces it).
 */
export type SessionRunner = <R>(entry: DeviceEntry, fn: (session: Session) => Promise<R>, concurrent?: boolean) => Promise<R>;

/** Where the commands of a device go: to a topic (the owning collector), or to a session here. */
export type Placement = { readonly route: string } | { readonly run: SessionRunner };

/** Options of {@link commandResolver}. */
export interface CommandResolverOptions {
  /** Decides where a validated command of `entry` goes. */
  place(entry: DeviceEntry): Placement;
  /** Names the service in "not configured" refusals (`the commander`, `this collector`). */
  readonly owner: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Creates the resolver a `CommandExecutor` calls for each admitted command.
 *
 * @returns `(cmd) => Disposition`, which throws refusals: `BB_COMMAND_UNKNOWN_DEVICE`,
 *   `BB_COMMAND_UNKNOWN_ACTION` (an action of another protocol, or one the protocol does not have),
 *   and the action's own validation refusals. Nothing is sent before it returns.
 */
export function commandResolver(table: DeviceTable, options: CommandResolverOptions): (cmd: Command) => Disposition {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  return (cmd) => {
    const entry = table.get(cmd.target.device_id);
    if (entry === undefined) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_DEVICE', `device ${cmd.target.device_id} is not configured in ${options.owner}`, { device: cmd.target.device_id });
    const { module, device } = entry;
    if (!cmd.action.startsWith(module.actionPrefix)) {
      throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `device ${device.id} is a ${module.protocol} device; action ${cmd.action} does not apply (expected ${module.actionPrefix}*)`);
    }
    const action = module.actions[cmd.action];
    if (action === undefined) {
      throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by ${module.protocol} devices (supported: ${Object.keys(module.actions).join(', ')})`);
    }
    const plan = action.validate(cmd, device) as never; // throws refusals; nothing sent
    const placement = options.place(entry);
    if ('route' in placement) return { kind: 'route', to: placement.route };
    const ctx = { command: cmd, clock, logger, beforeSend: () => assertNotExpired(cmd, clock.nowMs()) };
    return { kind: 'execute', action: { summary: action.describe(plan), run: () => placement.run(entry, (session) => action.execute(session, plan, ctx), action.concurrent === true) } };
  };
}

/**
 * Sessions the commander opens itself for shared-session devices: opened on the first command,
 * kept while they work, dropped when lost or after a failure that leaves the link in doubt (a
 * retriable error that is not a device refusal), and opened again for the next command. Commands of
 * one device run one at a time. This is not a reconnect loop: nothing is retried, a command whose
 * session cannot be opened fails with `BB_COMMAND_DEVICE_UNAVAILABLE` (outcome `not_sent`).
 */
export class SharedSessions {
  private readonly open = new Map<string, Session>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /** @param ctx - logger (bound per device here) and metrics passed to the modules' `open`. */
  constructor(private readonly ctx: OpenContext) {}

  /** A {@link SessionRunner} over this pool. */
  readonly run: SessionRunner = (entry, fn) => {
    const id = entry.device.id;
    const next = (this.queues.get(id) ?? Promise.resolve()).then(() => this.runNow(entry, fn));
    this.queues.set(id, next.catch(() => undefined));
    return next;
  };

  /** Closes every open session (never throws). */
  async close(): Promise<void> {
    const sessions = [...this.open.values()];
    this.open.clear();
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  }

  private async runNow<R>(entry: DeviceEntry, fn: (session: Session) => Promise<R>): Promise<R> {
    const id = entry.device.id;
    let session = this.open.get(id);
    if (session === undefined) {
      try {
        session = (await entry.module.open(entry.device, { ...this.ctx, logger: this.ctx.logger.child({ device: id }) })) as Session;
      } catch (cause) {
        throw new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `device ${id} is not reachable: ${(cause as Error).message}`, { cause, retriable: true, outcome: 'not_sent' });
      }
      const opened = session;
      this.open.set(id, opened);
      void opened.lost.then(() => {
        if (this.open.get(id) === opened) this.open.delete(id);
      });
    }
    try {
      return await fn(session);
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true;
      if (retriable && errorOutcome(err) !== 'refused') await this.drop(id, session); // reopen on the next command
      throw err;
    }
  }

  private async drop(id: string, session: Session): Promise<void> {
    if (this.open.get(id) === session) this.open.delete(id);
    await session.close().catch(() => undefined);
  }
}
