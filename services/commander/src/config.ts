/**
 * Configuration of the commander (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 * Each protocol section names the protocol's devices; for protocols on a protocol module (Modbus, Arbin, Maccor, Corus, BaSyTec)
 * give `devicesFile:` — the same device file the protocol's collector reads — so the limits
 * enforced here are the ones the collector maps, and nobody keeps a copy.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { createArbinModule } from '@busbar/module-arbin';
import type { ArbinDeviceConfig } from '@busbar/module-arbin';
import { createBasytecModule } from '@busbar/module-basytec';
import type { BasytecDeviceConfig, BasytecModule } from '@busbar/module-basytec';
import { createCorusModule } from '@busbar/module-corus';
import type { ResolvedCorusDevice } from '@busbar/module-corus';
import { createMaccorModule } from '@busbar/module-maccor';
import type { MaccorDeviceConfig } from '@busbar/module-maccor';
import { modbusModule } from '@busbar/module-modbus';
import type { ResolvedModbusDevice } from '@busbar/module-modbus';
import { safetyRigModule } from '@busbar/module-safety-rig';
import type { ResolvedRigDevice } from '@busbar/module-safety-rig';
import { deviceSourceShape, loadDevices } from '@busbar/protocol';
import type { AnyProtocolModule } from '@busbar/protocol';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { ConfigError, loadConfig } from '@busbar/runtime';
import { policyConfigSchema } from './policy.js';

/** The Arbin module as the commander uses it: validation and routing only (it never opens a cycler). */
export const arbinModule = createArbinModule();
/** The Corus module as the commander uses it: validation and routing only (no backfill, it never opens a Corus). */
export const corusModule = createCorusModule();

/** The BaSyTec module as the commander uses it: validation and routing only (the collector owns the RCI connection). */
export const basytecModule: BasytecModule = createBasytecModule();

/** The Maccor module as the commander uses it: validation and routing only (it never opens a tester). */
export const maccorModule = createMaccorModule();

/** The whole file. Unknown keys are refused in every section. */
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
  /** BaSyTec testers: `devicesFile` (the BaSyTec collector's device file) or `devices` inline. */
  basytec: z.object(deviceSourceShape(basytecModule)).strict().optional(),
  /** Maccor testers: `devicesFile` (the Maccor collector's device file) or `devices` inline. */
  maccor: z.object(deviceSourceShape(maccorModule)).strict().optional(),
  /** Corus volume converters: `devicesFile` (the Corus collector's device file) or `devices` inline. */
  corus: z.object(deviceSourceShape(corusModule)).strict().optional(),
  /**
   * The durable execution journal (`@busbar/commands` `ExecutionJournal`): `started` is recorded
   * before a command's device write and `done` with its result after it, so that after a crash a
   * command is answered from it instead of being run again. `path`: its SQLite file (default
   * `state/<groupId>.journal.sqlite` under the working directory; keep it on persistent storage, one
   * file per commander process).
   */
  journal: z.object({ path: z.string().min(1).optional() }).strict().default({}),
  /**
   * Signed commands (docs/commands.md): `requireSignature` (default true: unsigned commands are
   * REJECTED `BB_COMMAND_UNSIGNED`), `keys` (id, algorithm `ed25519`/`hmac-sha256`, key `file`
   * relative to this file, optional `issuer`), `rules` (key ids, action globs, device globs).
   */
  policy: policyConfigSchema,
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9467) }).strict().default({ host: '127.0.0.1', port: 9467 }),
}).strict().superRefine((c, ctx) => {
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
export type CommanderConfig = Omit<z.output<typeof commanderConfigSchema>, 'modbus' | 'arbin' | 'basytec' | 'maccor' | 'corus' | 'rig'> & {
  readonly rig?: { readonly devices: readonly ResolvedRigDevice[] } | undefined;
  readonly modbus?: { readonly devices: readonly ResolvedModbusDevice[] } | undefined;
  readonly arbin?: { readonly devices: readonly ArbinDeviceConfig[] } | undefined;
  readonly basytec?: { readonly devices: readonly BasytecDeviceConfig[] } | undefined;
  readonly maccor?: { readonly devices: readonly MaccorDeviceConfig[] } | undefined;
  readonly corus?: { readonly devices: readonly ResolvedCorusDevice[] } | undefined;
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
  return resolveCommanderConfig(cfg, file ? dirname(resolve(file)) : process.cwd());
}

/**
 * Validates a devices file with `loadConfig`'s messages (each device named by its id:
 * `devices[id=psu-1].port`, unknown keys with the nearest known one) before `loadDevices` reads it.
 * A file that cannot be read is left to `loadDevices`, which reports it (and so is any other error).
 * @param prefix - the section's path as a prefix of field names (`''`, `'modbus.'`).
 * @throws {ConfigError} `BB_CONFIG_INVALID`: `<prefix>devicesFile <path>:` then one line per bad field.
 */
function checkDevicesFile(module: AnyProtocolModule, devicesFile: string | undefined, baseDir: string, prefix: string): void {
  if (devicesFile === undefined) return;
  const path = resolve(baseDir, devicesFile);
  try {
    loadConfig(z.object({ devices: module.devicesSchema }).strict(), { file: path, env: {} });
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code === 'BB_CONFIG_UNREADABLE') return;
    const lines = err.message.split('\n').slice(1).join('\n');
    throw new ConfigError(err.code, `${prefix}devicesFile ${path}:\n${lines}`, { context: { ...err.context, file: path } });
  }
}

/**
 * Resolves a parsed configuration: each protocol section's `devicesFile` or `devices` through its
 * module (map files relative to `baseDir`), and one device id for one protocol across sections.
 *
 * @param cfg - `commanderConfigSchema.parse(...)` output.
 * @param baseDir - directory relative paths are resolved against (the config file's).
 * @throws {ConfigError} `BB_CONFIG_INVALID` naming the section and device.
 */
export function resolveCommanderConfig(cfg: z.output<typeof commanderConfigSchema>, baseDir: string): CommanderConfig {
  for (const [module, section] of [[modbusModule, cfg.modbus], [arbinModule, cfg.arbin], [safetyRigModule, cfg.rig], [basytecModule, cfg.basytec], [maccorModule, cfg.maccor], [corusModule, cfg.corus]] as const) {
    checkDevicesFile(module, section?.devicesFile, baseDir, `${module === safetyRigModule ? 'rig' : module.protocol}.`);
  }
  const modbus = cfg.modbus ? { devices: loadDevices<ResolvedModbusDevice>(modbusModule, cfg.modbus, 'modbus.', baseDir) } : undefined;
  const arbin = cfg.arbin ? { devices: loadDevices<ArbinDeviceConfig>(arbinModule, cfg.arbin, 'arbin.', baseDir) } : undefined;
  const rig = cfg.rig ? { devices: loadDevices<ResolvedRigDevice>(safetyRigModule, cfg.rig, 'rig.', baseDir) } : undefined;
  const basytec = cfg.basytec ? { devices: loadDevices<BasytecDeviceConfig>(basytecModule, cfg.basytec, 'basytec.', baseDir) } : undefined;
  const maccor = cfg.maccor ? { devices: loadDevices<MaccorDeviceConfig>(maccorModule, cfg.maccor, 'maccor.', baseDir) } : undefined;
  const corus = cfg.corus ? { devices: loadDevices<ResolvedCorusDevice>(corusModule, cfg.corus, 'corus.', baseDir) } : undefined;
  // one device id, one protocol — also across device files (the schema checks the inline lists)
  const seen = new Map<string, string>();
  for (const [protocol, devices] of [['modbus', modbus?.devices], ['arbin', arbin?.devices], ['basytec', basytec?.devices], ['maccor', maccor?.devices], ['corus', corus?.devices], ['rig', rig?.devices]] as const) {
    for (const d of devices ?? []) {
      const other = seen.get(d.id);
      if (other !== undefined && other !== protocol) throw new ConfigError('BB_CONFIG_INVALID', `${protocol}: device id ${d.id} is also configured under ${other}`);
      seen.set(d.id, protocol);
    }
  }
  return { ...cfg, configDir: baseDir, modbus, arbin, basytec, maccor, corus, rig };
}
