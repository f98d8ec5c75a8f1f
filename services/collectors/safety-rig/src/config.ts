/**
 * Configuration of the safety-rig collector (YAML/JSON file given with `--config`, or
 * `BUSBAR_CONFIG`; environment overrides `BUSBAR_<PATH>`): the generic collector configuration of
 * `@busbar/collector-kit` with the rig module's devices (`devicesFile`, shared with the commander's
 * `rig:` section, or `devices` inline; see packages/modules/safety-rig/README.md).
 */
import { loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { safetyRigModule } from '@busbar/module-safety-rig';
import type { ResolvedRigDevice } from '@busbar/module-safety-rig';

/** Default port of the ops endpoint (`/metrics`, `/healthz`). */
export const OPS_PORT = 9475;

/** The validated configuration. */
export type CollectorConfig = CollectorConfigOf<ResolvedRigDevice>;

/**
 * Loads and validates the collector configuration and its rigs (files read, cross-references checked).
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return load<ResolvedRigDevice>(safetyRigModule, OPS_PORT, file, env);
}
