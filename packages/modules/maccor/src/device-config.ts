/**
 * Configuration of one Maccor tester: the Maccor device file, read by the Maccor collector
 * (`devicesFile:` or `devices:`) and by the commander (`maccor.devicesFile` or `maccor.devices`): both
 * services read the same list, so the limits the commander checks are the ones the collector enforces
 * again before it sends anything.
 *
 * Session: **exclusive**. MacNet accepts many TCP clients but serves one request at a time, about
 * 30-35 ms each, serialized across all connections (Maccor MacNet reference §1.6, §2 "Concurrency
 * and throughput"). A second connection from the commander would buy no throughput and would compete
 * unprioritized with the collector's polls; direct control also needs per-channel state (pacer,
 * watchdog) in one place. So the collector owns the tester's connection and executes every
 * `maccor.*` command (between two polls; the client's single request queue also puts command requests
 * ahead of queued poll requests, reference §12 "Give commands priority over polls in a single request
 * queue per tester"); the commander validates and routes (docs/architecture.md "Single-session devices").
 */
import { z } from 'zod';
import type { ChannelEnvelope, SafetyLimits } from '@busbar/driver-maccor-macnet';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** (6,10) safety limits of a channel (reference §6.6): V, A (magnitudes), W (magnitudes). Never defaulted. */
export const safetyLimitsSchema = z
  .object({
    max_voltage_v: z.number().finite(),
    min_voltage_v: z.number().finite(),
    max_charge_current_a: z.number().finite().min(0),
    max_discharge_current_a: z.number().finite().min(0),
    max_charge_power_w: z.number().finite().min(0),
    max_discharge_power_w: z.number().finite().min(0),
  })
  .strict()
  .refine((l) => l.min_voltage_v < l.max_voltage_v, { message: 'min_voltage_v must be below max_voltage_v', path: ['min_voltage_v'] });

/** Direct-control envelope of a channel: every (6,8) set-point is checked against it before it is sent. */
export const envelopeSchema = z
  .object({
    max_voltage_v: z.number().finite(),
    min_voltage_v: z.number().finite(),
    max_charge_current_a: z.number().finite().min(0),
    max_discharge_current_a: z.number().finite().min(0),
    max_power_w: z.number().finite().min(0),
  })
  .strict()
  .refine((l) => l.min_voltage_v < l.max_voltage_v, { message: 'min_voltage_v must be below max_voltage_v', path: ['min_voltage_v'] });

const namePattern = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * One test variable a channel's procedures read, with its allowed range. Only variables declared here
 * may be set by `maccor.set_variable` on that channel, and only to a value in `[min, max]` (in `unit`).
 * - `var_num`: 1..15 (VAR1..VAR15, (6,9), Maccor MacNet reference §6.8).
 * - `name`: what the procedure uses it for, unit in the name (`charge_current_a`).
 * - `unit`: the unit of the value as the procedure reads it (`A`, `V`, `W`, `1`...).
 */
export const maccorVariableSchema = z
  .object({
    var_num: z.number().int().min(1).max(15),
    name: z.string().regex(namePattern, 'must be snake_case with the unit at the end, e.g. charge_current_a'),
    unit: z.string().min(1).max(16),
    min: z.number().finite(),
    max: z.number().finite(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.min > v.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${v.max}) must be ≥ min (${v.min})` });
  });

/** A parsed variable declaration. */
export type MaccorVariable = z.output<typeof maccorVariableSchema>;

const variableListSchema = z.array(maccorVariableSchema).superRefine((list, ctx) => {
  const seen = new Set<number>();
  list.forEach((v, i) => {
    if (seen.has(v.var_num)) ctx.addIssue({ code: 'custom', path: [i, 'var_num'], message: `VAR${v.var_num} is declared twice` });
    seen.add(v.var_num);
  });
});

/**
 * Per-channel settings: `safety` (needed by start_test and start_direct_control), `envelope` (needed
 * by direct control), `aux` (read (4,4)), `variables` (the only VARs `maccor.set_variable` may set, with
 * their ranges; default none).
 */
export const channelSettingsSchema = z
  .object({
    safety: safetyLimitsSchema.optional(),
    envelope: envelopeSchema.optional(),
    aux: z.boolean().default(false),
    variables: variableListSchema.default([]),
  })
  .strict();

/**
 * `directControl:` of a tester.
 * - `watchdogMs` (required): a direct-controlled channel that gets no fresh set-point from its
 *   controller for this long is put to rest; the rest is retried until the tester confirms it.
 * - `testerWatchdogS` (required, no default): the tester's own `MacNetDirectModeWD` (System.ini,
 *   seconds; reference §8.5), the only protection left when the collector itself dies. When > 0 the
 *   collector re-sends the last set-point every third of it so the tester does not suspend a channel the
 *   controller still feeds. 0 states that the tester's watchdog is off; the collector then warns loudly
 *   at start-up.
 * - `minIntervalMs` ≥ 100 (reference §8.6).
 * - `shutdownRestTimeoutMs`: how long a stopping collector keeps retrying the rest of its direct
 *   channels before it gives up with a FAULT event (default 10 000).
 */
export const directControlSchema = z
  .object({
    watchdogMs: z.number().int().min(200).max(600_000),
    minIntervalMs: z.number().int().min(100).max(60_000).default(100),
    testerWatchdogS: z.number({ error: (i) => (i.input === undefined ? 'testerWatchdogS is required with directControl: the tester\'s MacNetDirectModeWD in seconds (System.ini), 0 only if it is off' : 'testerWatchdogS must be a number of seconds') }).min(0).max(3600),
    shutdownRestTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
  })
  .strict();

/** A channel key of `channelSettings`: `"3"` or a range `"1-8"`. */
const channelKeyPattern = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/**
 * One entry of `devices:`.
 * - `channels`: test channels to poll, 1..channels (1-based, as the tester shows them).
 * - `pollIntervalMs`, `requestCostMs` (≈ 30-35 ms per request on a real tester, reference §1.6) and
 *   `pollBudgetFraction` (share of the interval the poll may use; the rest is left to commands and
 *   other clients) size the poll plan.
 * - `channelSettings`: keys `"n"` or `"a-b"`, each channel at most once.
 */
export const maccorDeviceSchema = z
  .object({
    id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
    host: z.string().min(1),
    jsonPort: z.number().int().min(1).max(65535).default(57570),
    binaryPort: z.number().int().min(1).max(65535).default(57560),
    /** UDP port of the binary frames (MacNet_UDP_Port, reference §2), used with `restVia: binary-udp`. */
    udpPort: z.number().int().min(1).max(65535).default(57550),
    restVia: z.enum(['json', 'binary', 'binary-tcp', 'binary-udp']).default('json'),
    session: z.literal('exclusive').default('exclusive'),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
    connectTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
    channels: z.number().int().min(1).max(1024),
    pollIntervalMs: z.number().int().min(100).max(86_400_000).default(1000),
    requestCostMs: z.number().min(0.1).max(10_000).default(35),
    pollBudgetFraction: z.number().gt(0).max(1).default(0.5),
    preflight: z.enum(['required', 'if_supported']).default('required'),
    channelSettings: z.record(z.string().regex(channelKeyPattern, 'must be a channel "n" or a range "a-b"'), channelSettingsSchema).default({}),
    directControl: directControlSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<number>();
    for (const key of Object.keys(d.channelSettings)) {
      const m = channelKeyPattern.exec(key)!;
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (a < 1 || b < a || b > d.channels) {
        ctx.addIssue({ code: 'custom', path: ['channelSettings', key], message: `channel range ${key} must lie within 1..${d.channels}` });
        continue;
      }
      for (let c = a; c <= b; c++) {
        if (seen.has(c)) ctx.addIssue({ code: 'custom', path: ['channelSettings', key], message: `channel ${c} is configured twice` });
        seen.add(c);
      }
      if (d.channelSettings[key]!.envelope && !d.directControl) {
        ctx.addIssue({ code: 'custom', path: ['directControl'], message: `channelSettings.${key}.envelope needs a directControl section (watchdogMs)` });
      }
    }
  });

/** A parsed `devices:` entry. */
export type MaccorDeviceConfig = z.output<typeof maccorDeviceSchema>;

/** `devices:` with unique ids. */
export const maccorDevicesSchema = z.array(maccorDeviceSchema).min(1, 'configure at least one tester').superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
    seen.add(d.id);
  });
});

/** Settings of one channel after expanding the `channelSettings` keys. */
export interface MaccorChannelSettings {
  readonly safety?: SafetyLimits;
  readonly envelope?: ChannelEnvelope;
  readonly aux: boolean;
  /** Variables `maccor.set_variable` may set on the channel (none when not configured). */
  readonly variables: readonly MaccorVariable[];
}

/**
 * The settings of `channel` (1-based), or `{aux: false, variables: []}` when none are configured.
 * Keys were validated by {@link maccorDeviceSchema}.
 */
export function channelSettingsOf(device: MaccorDeviceConfig, channel: number): MaccorChannelSettings {
  for (const [key, s] of Object.entries(device.channelSettings)) {
    const m = channelKeyPattern.exec(key);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (channel >= a && channel <= b) return s;
  }
  return { aux: false, variables: [] };
}
