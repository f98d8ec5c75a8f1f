/**
 * Itron Corus in the commander: the `corus:` configuration section and the protocol binding.
 *
 * Every Corus is a single-session device (itron-corus reference README §3.5, §13: one link at a
 * time), so the binding never connects: it validates a command against the device's map
 * (`./actions.ts`) and routes it to the collector that owns the device's `CorusSession`. The Corus
 * collector builds the same binding from the same `devices:` list and runs the command through
 * {@link CorusBinding.prepare} (validated again: defence in depth) at the session's write priority.
 */
import { z } from 'zod';
import type { Command } from '@busbar/avro';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError } from '@busbar/core';
import type { ProtocolBinding } from '../binding.js';
import type { PreparedAction } from '@busbar/commands';
import type { CorusWriter } from './actions.js';
import { prepareCorusCommand } from './actions.js';
import type { ResolvedCorusDevice } from './device-config.js';
import { corusDevicesSchema, resolveCorusDevices } from './device-config.js';

export { CORUS_ACTIONS, CORUS_SET_CLOCK, CORUS_WRITE_PARAMETERS, checkCorusWrite, prepareCorusCommand } from './actions.js';
export type { CheckedWrite, CorusActionDevice, CorusWriteLink, CorusWriter } from './actions.js';
export { corusDeviceSchema, corusDevicesSchema, resolveCorusDevices } from './device-config.js';
export type { CorusDeviceConfig, ResolvedCorusDevice } from './device-config.js';

/** The commander's `corus:` section: the same `devices:` list as the Corus collector's (`.shape.devices` is the list schema). */
export const corusCommanderSectionSchema = z.object({ devices: corusDevicesSchema }).strict();

/** Parsed `corus:` section. */
export type CorusCommanderSection = z.output<typeof corusCommanderSectionSchema>;

/** The Corus binding: a {@link ProtocolBinding} that also hands the resolved devices and the action preparation to the owning collector. */
export interface CorusBinding extends ProtocolBinding {
  /** The configured devices with their validated maps. */
  readonly devices: readonly ResolvedCorusDevice[];
  /**
   * Validates `cmd` for its (configured) device and prepares it to run on `writer` — the owning
   * collector's `CorusSession` — in one write-priority queue slot, its expiry checked inside the
   * slot right before the first frame is written (`BB_COMMAND_EXPIRED`, nothing sent).
   * @throws {CommandRefusedError} as {@link prepareCorusCommand}; `BB_COMMAND_UNKNOWN_DEVICE` for an unconfigured device.
   */
  prepare(cmd: Command, writer: () => CorusWriter): PreparedAction;
}

/**
 * Creates the Corus binding: validates, then always routes to `routeTopic`.
 *
 * @param deps - `baseDir` resolves `mapFile` entries (default: the working directory); `clock` is
 *   the clock of the expiry check at the wire (default the system clock).
 * @throws {BusbarError} `BB_CONFIG_INVALID` for a device whose map cannot be read or validated.
 */
export function createCorusBinding(section: CorusCommanderSection, routeTopic: string, deps: { logger?: Logger; metrics?: Metrics; baseDir?: string; clock?: Clock } = {}): CorusBinding {
  const devices = resolveCorusDevices(section.devices, deps.baseDir ?? process.cwd());
  const byId = new Map(devices.map((d) => [d.id, d]));
  const noWriter = (): CorusWriter => {
    throw new BusbarError('BB_COMMAND_FAILED', 'the commander never writes to a Corus: the owning collector does');
  };
  const prepare = (cmd: Command, writer: () => CorusWriter): PreparedAction => {
    const device = byId.get(cmd.target.device_id);
    if (device === undefined) throw new BusbarError('BB_COMMAND_UNKNOWN_DEVICE', `device ${cmd.target.device_id} is not a configured Corus`);
    return prepareCorusCommand(cmd, device, writer, deps.clock);
  };
  return {
    protocol: 'itron-corus',
    actionPrefix: 'corus.',
    devices,
    prepare,
    has: (id) => byId.has(id),
    resolve: (cmd) => {
      prepare(cmd, noWriter); // throws refusals; nothing is sent here
      return { kind: 'route', to: routeTopic };
    },
    close: async () => undefined,
  };
}
