/**
 * The Maccor binding. Every Maccor tester is an exclusive-session device (see device-config.ts for
 * why): in the commander the binding validates each `maccor.*` command and routes it to
 * `busbar.device-commands.v1`; in the Maccor collector, which owns the tester's connection, the same
 * binding is created with a {@link MaccorCommandRunner} and returns `execute` — so the limits are
 * checked again where the bytes are sent.
 */
import type { Command } from '@busbar/avro';
import type { Logger, Metrics } from '@busbar/core';
import type { ProtocolBinding } from '../binding.js';
import type { MaccorOperation } from './actions.js';
import { prepareMaccorCommand } from './actions.js';
import type { MaccorDeviceConfig } from './device-config.js';

/** What executes Maccor operations on a connected tester (implemented by the Maccor collector). */
export interface MaccorCommandRunner {
  /**
   * Checks `op` against the executor's state before anything is sent (e.g. a direct-output
   * set-point needs a direct-control session on its channel).
   * @throws {CommandRefusedError} (or any non-retriable BusbarError) — the command is REJECTED.
   */
  admit(op: MaccorOperation, cmd: Command): void;
  /**
   * Runs `op` on the tester; resolves with result details (strings).
   * @throws the driver's errors (the command is FAILED with their code); `BB_MACCOR_SETPOINT_SUPERSEDED` as a refusal (REJECTED: not applied).
   */
  run(op: MaccorOperation, cmd: Command): Promise<Record<string, string>>;
}

/** Dependencies of {@link createMaccorBindingFor}. */
export interface MaccorBindingDeps {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Present only in the process that owns the testers (the collector): the runner of a device. */
  readonly runnerFor?: (deviceId: string) => MaccorCommandRunner | undefined;
  /** Clock for generated test names (default `new Date()`). */
  readonly now?: () => Date;
}

/**
 * Creates the binding over `devices`.
 *
 * @param routeTopic - topic of routed device commands (consumed by the Maccor collector).
 */
export function createMaccorBindingFor(devices: readonly MaccorDeviceConfig[], routeTopic: string, deps: MaccorBindingDeps = {}): ProtocolBinding {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return {
    protocol: 'maccor-macnet',
    actionPrefix: 'maccor.',
    has: (id) => byId.has(id),
    resolve: (cmd) => {
      const device = byId.get(cmd.target.device_id)!;
      const prepared = prepareMaccorCommand(cmd, device, deps.now?.() ?? new Date()); // throws refusals
      const runner = deps.runnerFor?.(device.id);
      if (!runner) return { kind: 'route', to: routeTopic };
      runner.admit(prepared.operation, cmd);
      return { kind: 'execute', action: { summary: prepared.summary, run: () => runner.run(prepared.operation, cmd) } };
    },
    close: async () => undefined,
  };
}
