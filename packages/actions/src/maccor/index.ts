/**
 * Maccor MacNet in the commander: the `maccor:` configuration section and the protocol binding.
 * (Scaffold: the Arbin wiring fills this module.)
 */
import { z } from 'zod';
import type { Logger, Metrics } from '@busbar/core';
import type { ProtocolBinding } from '../binding.js';

/** The commander's `maccor:` section. */
export const maccorCommanderSectionSchema = z.object({}).strict();

/** Parsed `maccor:` section. */
export type MaccorCommanderSection = z.output<typeof maccorCommanderSectionSchema>;

/** Creates the Maccor binding of the commander. */
export function createMaccorBinding(_section: MaccorCommanderSection, _routeTopic: string, _deps: { logger?: Logger; metrics?: Metrics } = {}): ProtocolBinding {
  throw new Error('Maccor binding not wired yet');
}
