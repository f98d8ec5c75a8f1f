/**
 * Configuration of one Arbin cycler (MITS Pro CTI server), shared by the Arbin collector and the
 * commander's `arbin:` section: both read the same `devices:` list, so the limits the commander
 * checks are the ones the collector checks again before it sends anything.
 *
 * Protocol facts: Arbin CTI reference README §2 (port 9031, 10 s feedback timeout), §4.7 (MV_UD1..16
 * are the only way to steer a running test), §5.4 / §10 (one MV update per 200 ms).
 */
import { z } from 'zod';
import { DEFAULT_CTI_PORT, DEFAULT_REQUEST_TIMEOUT_MS, MV_MIN_INTERVAL_MS } from '@busbar/driver-arbin-cti';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const namePattern = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * What one user meta-variable carries and its allowed range. Only MVs declared here may be set by
 * `arbin.set_meta_variable`; the value must lie in `[min, max]` (in `unit`).
 * - `mv`: 1..16 (MV_UD1..MV_UD16, README §4.7).
 * - `name`: what the schedule uses it for, unit in the name (`charge_current_a`).
 * - `unit`: the unit of the value as the schedule reads it (`A`, `V`, `W`, `1`...).
 */
export const arbinMetaVariableLimitSchema = z
  .object({
    mv: z.number().int().min(1).max(16),
    name: z.string().regex(namePattern, 'must be snake_case with the unit at the end, e.g. charge_current_a'),
    unit: z.string().min(1).max(16),
    min: z.number().finite(),
    max: z.number().finite(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.min > m.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${m.max}) must be ≥ min (${m.min})` });
  });

/** A parsed meta-variable declaration. */
export type ArbinMetaVariableLimit = z.output<typeof arbinMetaVariableLimitSchema>;

/**
 * One channel's MV declarations: each `mv` and each `name` at most once. A command may name an MV
 * by `name`, so a name declared twice would make `arbin.set_meta_variable` pick one of two MVs
 * (with different limits) silently: refused here, the message names the field.
 */
const mvListSchema = z.array(arbinMetaVariableLimitSchema).superRefine((list, ctx) => {
  const seen = new Set<number>();
  const names = new Map<string, number>();
  list.forEach((m, i) => {
    if (seen.has(m.mv)) ctx.addIssue({ code: 'custom', path: [i, 'mv'], message: `MV_UD${m.mv} is declared twice` });
    seen.add(m.mv);
    const other = names.get(m.name);
    if (other !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `name ${m.name} is declared twice (MV_UD${other} and MV_UD${m.mv}); names must be unique within a channel's metaVariables` });
    else names.set(m.name, m.mv);
  });
});

/**
 * One entry of `devices:` (a cycler PC running MITS Pro with CTI enabled).
 * - `host`, `port` (default 9031, README §2).
 * - `channels`: the cycler's 1-based channels to poll and command, or `all` (every channel the
 *   login reply announces). Commands to a channel outside an explicit list are refused.
 * - `pollIntervalMs` (default 1000), `requestTimeoutMs` (default 10 000, the vendor's
 *   recommendation), `connectTimeoutMs` (default 10 000).
 * - `readMode`: `per-channel` (one request per channel, works with every server) or `all` (one
 *   request for all channels, README §4.2).
 * - `aux`: request aux temperatures/voltages (option 0x400).
 * - `mvMinIntervalMs`: spacing of set-MV commands to one channel; never below the vendor's 200 ms.
 * - `metaVariables`: the MVs every channel's schedule reads, with limits; `channelMetaVariables`
 *   replaces that list for the channels named (keys are 1-based channel numbers).
 * - `allowedSchedules`: when given, `arbin.assign_schedule` / `arbin.start` accept only these
 *   schedule files (the schedule holds the safety limits, README §6.6). Optional: **without it any
 *   schedule file is allowed.**
 * - `maxStep`: when given, `arbin.jump_to_step` refuses steps above it (a missing step stops the
 *   test, README §6.2). Optional: **without it any step is allowed.**
 * - `session` is always `exclusive`: one process (the collector) owns the CTI connection.
 */
export const arbinDeviceSchema = z
  .object({
    id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(DEFAULT_CTI_PORT),
    channels: z.union([z.literal('all'), z.array(z.number().int().min(1).max(65536)).min(1)]).default('all'),
    pollIntervalMs: z.number().int().min(10).max(86_400_000).default(1000),
    requestTimeoutMs: z.number().int().min(10).max(120_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
    connectTimeoutMs: z.number().int().min(10).max(120_000).default(10_000),
    readMode: z.enum(['per-channel', 'all']).default('per-channel'),
    aux: z.boolean().default(false),
    mvMinIntervalMs: z.number().int().min(MV_MIN_INTERVAL_MS, `must be ≥ ${MV_MIN_INTERVAL_MS} ms, the vendor's limit (Arbin CTI reference README §5.4)`).max(60_000).default(MV_MIN_INTERVAL_MS),
    metaVariables: mvListSchema.default([]),
    channelMetaVariables: z.record(z.string().regex(/^[1-9][0-9]*$/, 'keys are 1-based channel numbers'), mvListSchema).default({}),
    allowedSchedules: z.array(z.string().min(1)).min(1).optional(),
    maxStep: z.number().int().min(1).optional(),
    session: z.literal('exclusive').default('exclusive'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (Array.isArray(d.channels)) {
      const set = new Set(d.channels);
      if (set.size !== d.channels.length) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'channels are listed twice' });
      for (const key of Object.keys(d.channelMetaVariables)) {
        if (!set.has(Number(key))) ctx.addIssue({ code: 'custom', path: ['channelMetaVariables', key], message: `channel ${key} is not in channels` });
      }
    }
  });

/** A parsed `devices:` entry. */
export type ArbinDeviceConfig = z.output<typeof arbinDeviceSchema>;

/** `devices:` with unique ids. */
export const arbinDevicesSchema = z
  .array(arbinDeviceSchema)
  .min(1, 'configure at least one cycler')
  .superRefine((devices, ctx) => {
    const seen = new Set<string>();
    devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
      seen.add(d.id);
    });
  });

/** The meta-variables a channel may set: its own list when configured, else the device's. */
export function metaVariablesOf(device: ArbinDeviceConfig, channel: number): readonly ArbinMetaVariableLimit[] {
  return device.channelMetaVariables[String(channel)] ?? device.metaVariables;
}
