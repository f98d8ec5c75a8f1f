/**
 * Configuration of one BaSyTec test system, shared by the BaSyTec collector and the commander's
 * `basytec:` section (both read the same `devices:` list, so the plans the commander accepts are
 * the ones the collector checks again before it sends anything).
 *
 * Protocol facts (BaSyTec integration reference, driver README): Resultfiles carry no time zone
 * (§3.2), so `timeZone` is required; the database schema is not public (§5), so the table/column
 * mapping is configuration; the RCI syntax is not public (§6), so the command set is configured
 * templates; RCI accepts at most 10 commands/s (§6, vendor note); a tester takes no set-points
 * from outside (§1), so no set-point action exists.
 */
import { z } from 'zod';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const identPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ident = z.string().regex(identPattern, 'must be a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*');

/** Checks that a string compiles as a JavaScript regular expression. */
const regexSource = z.string().min(1).refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

/**
 * The watched Resultfile export directory (driver README "Live tailing").
 * - `dir`: the export directory (top level only; often an SMB/NFS share of the test PC).
 * - `filePattern`: regular expression of Resultfile names (default `\.txt$`, case-insensitive).
 * - `readChunkBytes` (default 256 KiB): bytes read per file per sweep; `maxRowsPerPoll` (default
 *   5000): rows one poll publishes at most (the rest follow at the next poll).
 * - `encoding`: `auto` (Windows-1252 unless the preamble is UTF-8, reference §3.7 item 6), or forced.
 */
export const resultFilesSchema = z
  .object({
    dir: z.string().min(1),
    filePattern: regexSource.default('\\.txt$'),
    readChunkBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
    maxRowsPerPoll: z.number().int().min(1).max(1_000_000).default(5000),
    encoding: z.enum(['auto', 'windows-1252', 'utf-8']).default('auto'),
  })
  .strict();

/**
 * The BaSyTec database mapping (driver README "Database source"; reference §5: the schema is not
 * public, every name here comes from the installation's schema dump). `data.columns` maps each
 * database column to the Resultfile header it stands for (`u_v: U[V]`); it must include the
 * cursor column as `DataSet`.
 */
export const dbMappingSchema = z
  .object({
    tests: z.object({ table: ident, id: ident, name: ident, channel: ident, start: ident }).strict(),
    data: z
      .object({
        table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\{test_id\}[A-Za-z0-9_]*)?$/, 'must be an identifier, optionally with {test_id} (per-test tables)'),
        testIdColumn: ident.optional(),
        cursorColumn: ident,
        columns: z.record(ident, z.string().min(1)),
      })
      .strict(),
  })
  .strict();

/**
 * The BaSyTec software's database, polled read-only.
 * - `engine`: `postgres`, `mariadb` (MySQL too) or `sqlite` (a backup file, `path`).
 * - `host`, `port`, `user`, `database`; the password from `passwordEnv` (name of an environment
 *   variable, recommended) or `password`.
 * - `mapping`: see {@link dbMappingSchema}; `batchRows` (default 1000): rows per test per query.
 */
export const databaseSchema = z
  .object({
    engine: z.enum(['postgres', 'mariadb', 'sqlite']),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
    database: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    mapping: dbMappingSchema,
    batchRows: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.engine === 'sqlite') {
      if (d.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'engine sqlite needs path (the backup file)' });
    } else {
      for (const f of ['port', 'user', 'database'] as const) if (d[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: `engine ${d.engine} needs ${f}` });
    }
    if (d.mapping.data.columns[d.mapping.data.cursorColumn] !== 'DataSet') ctx.addIssue({ code: 'custom', path: ['mapping', 'data', 'cursorColumn'], message: 'the cursor column must be in mapping.data.columns, mapped to DataSet' });
  });

/** One RCI command template (driver README "RCI control"; reference §6: fill it from the vendor's RCI manual). */
export const rciTemplateSchema = z
  .object({
    request: z.string().min(1).regex(/^[\x20-\x7e]+$/, 'printable ASCII, no terminator'),
    success: regexSource,
    refusal: regexSource.optional(),
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  })
  .strict();

/**
 * RCI remote control. The transport is TCP (`host`, `port`) or RS232 (`serialPath`, `baudRate`).
 * - `templates`: `start` (with `{channel}` and `{plan}`), `stop` and `readState` (with `{channel}`),
 *   more keys allowed; INVENTED examples in the driver README — the syntax is not public.
 * - `plans`: the prepared test plans `basytec.start_test` may start (required, at least one).
 * - `channels`: when given, the only channels commands may name.
 * - `inFlight`: `tester` (default: one command at a time, the safe choice until the manual says the
 *   software handles overlapping commands) or `channel` (one per channel; the reply patterns must
 *   then contain `{channel}`).
 * - `ratePerSecond` (default and maximum 10, the vendor's limit), `terminator` (default CR LF),
 *   `connectTimeoutMs` (default 10 000), `defaultTimeoutMs` (default 120 000: replies take minutes).
 */
export const rciSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    serialPath: z.string().min(1).optional(),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    terminator: z.enum(['\r\n', '\n', '\r']).default('\r\n'),
    ratePerSecond: z.number().positive().max(10, 'must be ≤ 10: BaSyTec RCI accepts at most 10 commands/s (reference §6)').default(10),
    connectTimeoutMs: z.number().int().min(10).max(120_000).default(10_000),
    defaultTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
    templates: z.object({ start: rciTemplateSchema, stop: rciTemplateSchema, readState: rciTemplateSchema }).catchall(rciTemplateSchema),
    plans: z.array(z.string().min(1).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')).min(1, 'list the prepared plans that may be started remotely'),
    channels: z.array(z.number().int().min(1).max(65536)).min(1).optional(),
    inFlight: z.enum(['tester', 'channel']).default('tester'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const tcp = r.host !== undefined || r.port !== undefined;
    if (tcp === (r.serialPath !== undefined)) ctx.addIssue({ code: 'custom', path: ['host'], message: 'give either host and port (TCP) or serialPath (RS232)' });
    if (tcp && (r.host === undefined || r.port === undefined)) ctx.addIssue({ code: 'custom', path: [r.host === undefined ? 'host' : 'port'], message: 'TCP needs both host and port' });
    if (!r.templates.start.request.includes('{plan}')) ctx.addIssue({ code: 'custom', path: ['templates', 'start', 'request'], message: 'must contain {plan}' });
    for (const k of ['start', 'stop', 'readState'] as const) {
      if (!r.templates[k].request.includes('{channel}')) ctx.addIssue({ code: 'custom', path: ['templates', k, 'request'], message: 'must contain {channel}' });
    }
  });

/**
 * One entry of `devices:` (a BaSyTec test PC).
 * - `id`; `timeZone`: IANA zone of the test PC's clock (required: the files carry none, §3.2).
 * - `pollIntervalMs` (default 1000): how often the sources are read.
 * - `timestampSource`: `auto` (default: `DateTime`, else `Date`+`Time`, else `Start of Test` +
 *   elapsed) or `elapsed` (`Start of Test` + elapsed first: sub-second rows, no DST fold).
 * - `cursorFile`: JSON file of the acknowledged cursors (default `state/basytec-<id>.cursors.json`
 *   under the working directory); keep it on persistent storage.
 * - `resultFiles` and/or `database`: the sources (at least one); `rci`: remote control (optional;
 *   without it the `basytec.*` commands are refused).
 */
export const basytecDeviceSchema = z
  .object({
    id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
    timeZone: z.string().min(1).refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone known to the runtime, e.g. Europe/Berlin'),
    pollIntervalMs: z.number().int().min(50).max(86_400_000).default(1000),
    timestampSource: z.enum(['auto', 'elapsed']).default('auto'),
    cursorFile: z.string().min(1).optional(),
    resultFiles: resultFilesSchema.optional(),
    database: databaseSchema.optional(),
    rci: rciSchema.optional(),
    session: z.literal('exclusive').default('exclusive'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.resultFiles === undefined && d.database === undefined) ctx.addIssue({ code: 'custom', path: ['resultFiles'], message: 'configure at least one source: resultFiles and/or database' });
  });

/** A parsed `devices:` entry. */
export type BasytecDeviceInput = z.output<typeof basytecDeviceSchema>;

/** A resolved device: paths made absolute against the configuration file's folder. */
export type BasytecDeviceConfig = BasytecDeviceInput & { readonly cursorFile: string };

/** `devices:` with unique ids. */
export const basytecDevicesSchema = z
  .array(basytecDeviceSchema)
  .min(1, 'configure at least one BaSyTec tester')
  .superRefine((devices, ctx) => {
    const seen = new Set<string>();
    devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
      seen.add(d.id);
    });
  });
