/**
 * Configuration of one Maccor tester, shared by the Maccor collector (`devices:`) and the commander
 * (`maccor.devices`): both services read the same list, so the limits the commander checks are the
 * ones the collector enforces again before it sends anything.
 *
 * Session: **exclusive**. MacNet accepts many TCP clients but serves one request at a time, about
 * 30-35 ms each, serialized across all connections (Maccor MacNet reference §1.6, §2 "Concurrency
 * and throughput"). A second connection from the commander would buy no throughput and would compete
 * unprioritized with the collector's polls; direct control also needs per-channel state (pacer,
 * watchdog) in one place. So the collector owns the tester's connection, puts commands ahead of
 * queued polls in its single request queue (reference §12 "Give commands priority over polls in a
 * single request queue per tester") and executes every `maccor.*` command; the commander validates
 * and routes (docs/architecture.md "Single-session devices").
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

/** Per-channel settings: `safety` (needed by start_test and start_direct_control), `envelope` (needed by direct control), `aux` (read (4,4)). */
export const channelSettingsSchema = z
  .object({
    safety: safetyLimitsSchema.optional(),
    envelope: envelopeSchema.optional(),
    aux: z.boolean().default(false),
  })
  .strict();

/**
 * `directControl:` of a tester. `watchdogMs` (no default): a direct-controlled channel that gets no
 * fresh set-point from its controller for this long is put to rest. `testerWatchdogS`: the tester's
 * own `MacNetDirectModeWD` (System.ini, seconds; 0 = off, reference §8.5); when > 0 the collector
 * re-sends the last set-point every third of it so the tester does not suspend a channel the
 * controller still feeds. `minIntervalMs` ≥ 100 (reference §8.6).
 */
export const directControlSchema = z
  .object({
    watchdogMs: z.number().int().min(200).max(600_000),
    minIntervalMs: z.number().int().min(100).max(60_000).default(100),
    testerWatchdogS: z.number().min(0).max(3600).default(0),
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
}

/**
 * The settings of `channel` (1-based), or `{aux: false}` when none are configured.
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
  return { aux: false };
}
