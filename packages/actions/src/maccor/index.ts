/**
 * Maccor MacNet in the commander and in the Maccor collector: the `maccor:` configuration section
 * (the same `devices:` list the collector reads), the `maccor.*` actions and the protocol binding.
 * Testers are exclusive-session devices: the commander routes, the collector executes (binding.ts).
 */
import { z } from 'zod';
import type { ProtocolBinding } from '../binding.js';
import { maccorDevicesSchema } from './device-config.js';
import type { MaccorBindingDeps } from './binding.js';
import { createMaccorBindingFor } from './binding.js';

export { maccorDeviceSchema, maccorDevicesSchema, channelSettingsOf, safetyLimitsSchema, envelopeSchema, directControlSchema, maccorVariableSchema } from './device-config.js';
export type { MaccorDeviceConfig, MaccorChannelSettings, MaccorVariable } from './device-config.js';
export { MACCOR_ACTIONS, prepareMaccorCommand, checkEnvelope, generatedTestName } from './actions.js';
export type { MaccorAction, MaccorOperation, PreparedMaccorCommand } from './actions.js';
export { createMaccorBindingFor } from './binding.js';
export type { MaccorCommandRunner, MaccorBindingDeps } from './binding.js';
export { MACCOR_ACTION_ERROR_CODES } from './errors.js';

/** The commander's `maccor:` section: `devices` as in the Maccor collector's configuration. */
export const maccorCommanderSectionSchema = z.object({ devices: maccorDevicesSchema }).strict();

/** Parsed `maccor:` section. */
export type MaccorCommanderSection = z.output<typeof maccorCommanderSectionSchema>;

/**
 * Creates the Maccor binding of the commander (validate, then route to the owning collector). The
 * collector passes `deps.runnerFor` to execute instead.
 *
 * @param routeTopic - topic of routed device commands.
 */
export function createMaccorBinding(section: MaccorCommanderSection, routeTopic: string, deps: MaccorBindingDeps = {}): ProtocolBinding {
  return createMaccorBindingFor(section.devices, routeTopic, deps);
}
