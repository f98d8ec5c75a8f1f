/**
 * Configuration of the commander (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 * `modbus.devices` has the same shape as the Modbus collector's `devices` — point both services
 * at the same device list so the limits enforced here are the ones the collector maps.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { arbinCommanderSectionSchema, corusCommanderSectionSchema, maccorCommanderSectionSchema, modbusDevicesSchema, resolveModbusDevices } from '@busbar/actions';
import type { ResolvedModbusDevice } from '@busbar/actions';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';

/** The whole file. */
export const commanderConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  groupId: z.string().min(1).default('busbar-commander'),
  /** Longest accepted command lifetime (expires_at − now), ms; longer ones are rejected. Default 1 h. */
  maxCommandLifetimeMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
  /** Modbus devices: the same list as the Modbus collector's `devices`. */
  modbus: z.object({ devices: modbusDevicesSchema }).strict().optional(),
  /** Arbin cyclers (see packages/actions/src/arbin). */
  arbin: arbinCommanderSectionSchema.optional(),
  /** Maccor testers (see packages/actions/src/maccor). */
  maccor: maccorCommanderSectionSchema.optional(),
  /** Corus volume converters (see packages/actions/src/corus). */
  corus: corusCommanderSectionSchema.optional(),
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9467) }).default({ host: '127.0.0.1', port: 9467 }),
}).superRefine((c, ctx) => {
  // one device id, one protocol: a command's device must not match two bindings (or two owners)
  const seen = new Map<string, string>();
  for (const protocol of ['modbus', 'arbin', 'maccor', 'corus'] as const) {
    (c[protocol]?.devices ?? []).forEach((d: { id: string }, i: number) => {
      const other = seen.get(d.id);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: [protocol, 'devices', i, 'id'], message: `device id ${d.id} is also configured under ${other}` });
      else seen.set(d.id, protocol);
    });
  }
});

/** The validated configuration with device maps resolved. */
export type CommanderConfig = Omit<z.output<typeof commanderConfigSchema>, 'modbus'> & {
  readonly modbus?: { readonly devices: readonly ResolvedModbusDevice[] } | undefined;
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
  return { ...cfg, configDir: baseDir, modbus: cfg.modbus ? { devices: resolveModbusDevices(cfg.modbus.devices, baseDir) } : undefined };
}
