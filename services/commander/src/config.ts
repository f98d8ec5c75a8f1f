/**
 * Configuration of the commander (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 * Each protocol section names the protocol's devices; for protocols on a protocol module (Modbus, Arbin)
 * give `devicesFile:` — the same device file the protocol's collector reads — so the limits
 * enforced here are the ones the collector maps, and nobody keeps a copy.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { corusCommanderSectionSchema, maccorCommanderSectionSchema } from '@busbar/actions';
import { createArbinModule } from '@busbar/module-arbin';
import type { ArbinDeviceConfig } from '@busbar/module-arbin';
import { modbusModule } from '@busbar/module-modbus';
import type { ResolvedModbusDevice } from '@busbar/module-modbus';
import { safetyRigModule } from '@busbar/module-safety-rig';
import type { ResolvedRigDevice } from '@busbar/module-safety-rig';
import { deviceSourceShape, loadDevices } from '@busbar/protocol';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { ConfigError, loadConfig } from '@busbar/runtime';

/** The Arbin module as the commander uses it: validation and routing only (it never opens a cycler). */
export const arbinModule = createArbinModule();

/** The whole file. */
export const commanderConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  groupId: z.string().min(1).default('busbar-commander'),
  /** Longest accepted command lifetime (expires_at − now), ms; longer ones are rejected. Default 1 h. */
  maxCommandLifetimeMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
  /** Modbus devices: `devicesFile` (the Modbus collector's device file) or `devices` inline. */
  modbus: z.object(deviceSourceShape(modbusModule)).strict().optional(),
  /** Arbin cyclers: `devicesFile` (the Arbin collector's device file) or `devices` inline. */
  arbin: z.object(deviceSourceShape(arbinModule)).strict().optional(),
  /** Safety rigs: `devicesFile` (the rig collector's device file) or `devices` inline; commands are routed to that collector. */
  rig: z.object(deviceSourceShape(safetyRigModule)).strict().optional(),
  /** Maccor testers (see packages/actions/src/maccor). */
  maccor: maccorCommanderSectionSchema.optional(),
  /** Corus volume converters (see packages/actions/src/corus). */
  corus: corusCommanderSectionSchema.optional(),
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9467) }).default({ host: '127.0.0.1', port: 9467 }),
}).superRefine((c, ctx) => {
  // one device id, one protocol: a command's device must not match two bindings (or two owners)
  const seen = new Map<string, string>();
  for (const protocol of ['modbus', 'arbin', 'maccor', 'corus', 'rig'] as const) {
    (c[protocol]?.devices ?? []).forEach((d: { id: string }, i: number) => {
      const other = seen.get(d.id);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: [protocol, 'devices', i, 'id'], message: `device id ${d.id} is also configured under ${other}` });
      else seen.set(d.id, protocol);
    });
  }
});

/** The validated configuration with device maps resolved. */
export type CommanderConfig = Omit<z.output<typeof commanderConfigSchema>, 'modbus' | 'arbin' | 'rig'> & {
  readonly rig?: { readonly devices: readonly ResolvedRigDevice[] } | undefined;
  readonly modbus?: { readonly devices: readonly ResolvedModbusDevice[] } | undefined;
  readonly arbin?: { readonly devices: readonly ArbinDeviceConfig[] } | undefined;
  /** Directory that relative paths in the file (`mapFile`) are resolved against (default: the working directory). */
  readonly configDir?: string;
};

/**
 * Loads and validates the configuration.
 *
 * @throws {ConfigError} (or `BB_CONFIG_INVALID`) naming the bad field.
 */
export function loadCommanderConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CommanderConfig {
  const cfg = loadConfig(commanderConfigSchema, { file, env });
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const modbus = cfg.modbus ? { devices: loadDevices<ResolvedModbusDevice>(modbusModule, cfg.modbus, 'modbus.', baseDir) } : undefined;
  const arbin = cfg.arbin ? { devices: loadDevices<ArbinDeviceConfig>(arbinModule, cfg.arbin, 'arbin.', baseDir) } : undefined;
  const rig = cfg.rig ? { devices: loadDevices<ResolvedRigDevice>(safetyRigModule, cfg.rig, 'rig.', baseDir) } : undefined;
  // one device id, one protocol — also across device files (the schema checks the inline lists)
  const seen = new Map<string, string>();
  for (const [protocol, devices] of [['modbus', modbus?.devices], ['arbin', arbin?.devices], ['maccor', cfg.maccor?.devices], ['corus', cfg.corus?.devices], ['rig', rig?.devices]] as const) {
    for (const d of devices ?? []) {
      const other = seen.get(d.id);
      if (other !== undefined && other !== protocol) throw new ConfigError('BB_CONFIG_INVALID', `${protocol}: device id ${d.id} is also configured under ${other}`);
      seen.set(d.id, protocol);
    }
  }
  return { ...cfg, configDir: baseDir, modbus, arbin, rig };
}
