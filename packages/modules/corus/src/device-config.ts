/**
 * Configuration of one Itron Corus device, shared by the Corus collector and the commander (both
 * read the same `devices:` list, so the limits the commander enforces are the map the collector
 * reads with).
 *
 * A Corus serves one session at a time (itron-corus reference README §3.5: strict turn-taking, one
 * request in flight; §13: the device answers one link): every Corus is a single-session device.
 * The collector that polls it owns the `CorusSession`; the commander validates and routes
 * (docs/architecture.md "Single-session devices").
 */
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import type { CorusMap } from '@busbar/driver-itron-corus';
import { corusLinkOptionsSchema, corusMapSchema, DEFAULT_MAX_GAP_REQUESTS_PER_PASS, parseCorusMap } from '@busbar/driver-itron-corus';
import { resolveDeviceMap } from '@busbar/protocol';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `connection:` of a Corus reached over TCP (GPRS modem, terminal server; reference §2.1). */
const tcpSchema = z.object({
  kind: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
}).strict();

/** `connection:` of a Corus on a serial line / optical head (reference §2.2; untested against a real device). */
const serialSchema = z.object({
  kind: z.literal('serial'),
  path: z.string().min(1),
  signOnBaudRate: z.number().int().positive().optional(),
  sessionBaudRate: z.number().int().positive().optional(),
  /** Pause between the drained option select and the speed change on the open port, ms (driver README "Link layer"). */
  baudSwitchDelayMs: z.number().int().min(0).max(10_000).optional(),
}).strict();

/** `logs:` — which logs the collector backfills and how. */
const logsSchema = z.object({
  /** Configured log names to read (default: every log of the map). */
  names: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).optional(),
  /** First backfill (no cursor yet) starts this long before the device clock, s. @default 604800 (7 days) */
  lookbackS: z.number().int().min(0).max(10 * 366 * 86_400).default(604_800),
  /** Pause between backfill passes once caught up, ms. @default 60000 */
  intervalMs: z.number().int().min(10).max(86_400_000).default(60_000),
  /** After catching up, the next pass re-scans this far back from the last scanned time (records written late), s. @default 900 */
  rescanS: z.number().int().min(0).max(86_400).default(900),
  /** Gap re-requests per backfill pass, all logs together (each is one database request to a device often on battery). @default 3 */
  maxGapRequestsPerPass: z.number().int().min(0).max(1000).default(DEFAULT_MAX_GAP_REQUESTS_PER_PASS),
}).strict();

/**
 * One entry of `devices:`.
 * - `map` inline (the driver's `corusMapSchema`: parameters with class, unit, writable, min/max;
 *   log layouts) or `mapFile` (JSON/YAML, relative to the configuration file).
 * - `timeZone`: IANA zone of the device clock (the wire carries naive date-times, reference §8.3.12):
 *   log records sit on its wall-clock grid; a clock on local time repeats an hour at the DST fall-back.
 * - `gasDayStart`: `HH:MM` at which whole-day (daily) logs write their record, e.g. `06:00` (default `00:00`).
 * - `pollParameters`: names read every `pollIntervalMs` (default: every parameter of the map except the map name).
 * - `logChunkS`: time window per database request (one session queue slot each, so a write waits at most one window).
 */
export const corusDeviceSchema = z
  .object({
    id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
    connection: z.discriminatedUnion('kind', [tcpSchema, serialSchema]),
    map: corusMapSchema.optional(),
    mapFile: z.string().min(1).optional(),
    timeZone: z.string().min(1).default('UTC'),
    gasDayStart: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM (00:00 to 23:59), the device\'s day start for whole-day logs').default('00:00'),
    password: z.string().min(1).max(16).optional(),
    pollIntervalMs: z.number().int().min(10).max(86_400_000).default(60_000),
    pollParameters: z.array(z.string().min(1)).min(1).optional(),
    logChunkS: z.number().int().min(60).max(31 * 86_400).default(21_600),
    responseTimeoutMs: z.number().int().min(100).max(120_000).optional(),
    /**
     * Every link option of reference §2–§3 and §10 (wake-up, device address, option select V/Z/Y —
     * Z `echo` by default, per §2.2 —, password message length, identification length, NAK limit,
     * timeouts): the driver's `corusLinkOptionsSchema`, defaults in the driver README "Link layer".
     * `responseTimeoutMs` above, when given, overrides `link.timeouts.responseMs`.
     */
    link: corusLinkOptionsSchema.strict().optional(),
    logs: logsSchema.default({ lookbackS: 604_800, intervalMs: 60_000, rescanS: 900, maxGapRequestsPerPass: DEFAULT_MAX_GAP_REQUESTS_PER_PASS }),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!d.map === !d.mapFile) ctx.addIssue({ code: 'custom', path: ['map'], message: 'give exactly one of map or mapFile' });
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: d.timeZone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown IANA time zone ${JSON.stringify(d.timeZone)}` });
    }
  });

/** A parsed `devices:` entry (before `mapFile` is resolved). */
export type CorusDeviceConfig = z.output<typeof corusDeviceSchema>;

/** `devices:` with unique ids. */
export const corusDevicesSchema = z.array(corusDeviceSchema).min(1, 'configure at least one device').superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
    seen.add(d.id);
  });
});

/** A device with its parameter map resolved and validated, and the lists derived from it. */
export type ResolvedCorusDevice = CorusDeviceConfig & {
  /** The validated map (driver `parseCorusMap`). */
  readonly corusMap: CorusMap;
  /** Parameters read at every poll. */
  readonly pollNames: readonly string[];
  /** Logs backfilled. */
  readonly logNames: readonly string[];
};

/**
 * Resolves each device's `map` or `mapFile` (JSON/YAML, relative to `baseDir`) into a validated
 * Corus map and checks that the polled parameters and logs exist in it.
 *
 * @throws {BusbarError} `BB_CONFIG_INVALID` naming the device (`devices[id=<id>]`, or
 *   `devices[i] (<id>)` for its map) and the field at fault.
 */
export function resolveCorusDevices(devices: readonly CorusDeviceConfig[], baseDir: string): ResolvedCorusDevice[] {
  return devices.map((d, i) => {
    const corusMap = resolveDeviceMap(d, i, baseDir, parseCorusMap);
    const pollNames = d.pollParameters ?? corusMap.config.parameters.filter((p) => p.role !== 'map_name').map((p) => p.name);
    for (const [j, n] of pollNames.entries()) {
      if (!corusMap.byName.has(n)) throw new BusbarError('BB_CONFIG_INVALID', `devices[id=${d.id}].pollParameters[${j}]: "${n}" is not a parameter of map ${corusMap.mapId}`);
    }
    const logNames = d.logs.names ?? Object.keys(corusMap.config.logs);
    for (const [j, n] of logNames.entries()) {
      if (corusMap.config.logs[n] === undefined) throw new BusbarError('BB_CONFIG_INVALID', `devices[id=${d.id}].logs.names[${j}]: "${n}" is not a log of map ${corusMap.mapId} (configured: ${Object.keys(corusMap.config.logs).join(', ') || 'none'})`);
    }
    return { ...d, corusMap, pollNames, logNames };
  });
}
