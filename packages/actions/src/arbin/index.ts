/**
 * Arbin CTI in the commander: the `arbin:` configuration section and the protocol binding.
 * (Scaffold: the Arbin wiring fills this module.)
 */
import { z } from 'zod';
import type { Logger, Metrics } from '@busbar/core';
import type { ProtocolBinding } from '../binding.js';

/** The commander's `arbin:` section. */
export const arbinCommanderSectionSchema = z.object({}).strict();

/** Parsed `arbin:` section. */
export type ArbinCommanderSection = z.output<typeof arbinCommanderSectionSchema>;

/** Creates the Arbin binding of the commander. */
export function createArbinBinding(_section: ArbinCommanderSection, _routeTopic: string, _deps: { logger?: Logger; metrics?: Metrics } = {}): ProtocolBinding {
  throw new Error('Arbin binding not wired yet');
}
