/**
 * Itron Corus in the commander: the `corus:` configuration section and the protocol binding.
 * (Scaffold: the Arbin wiring fills this module.)
 */
import { z } from 'zod';
import type { Logger, Metrics } from '@busbar/core';
import type { ProtocolBinding } from '../binding.js';

/** The commander's `corus:` section. */
export const corusCommanderSectionSchema = z.object({}).strict();

/** Parsed `corus:` section. */
export type CorusCommanderSection = z.output<typeof corusCommanderSectionSchema>;

/** Creates the Corus binding of the commander. */
export function createCorusBinding(_section: CorusCommanderSection, _routeTopic: string, _deps: { logger?: Logger; metrics?: Metrics } = {}): ProtocolBinding {
  throw new Error('Corus binding not wired yet');
}
