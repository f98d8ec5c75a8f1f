/**
 * Parameter maps and log record layouts from configuration (itron-corus README §7, §9.6).
 *
 * Parameter ids, classes and record layouts depend on the firmware's parameter map, named by the
 * CorusString at id 0x5E (`FL_<mapId>`, §7.1). No map tables are public: they come from Itron
 * documentation or the site and are validated here once, at the edge, with messages that name
 * the bad field (`parameters[3].class: ...`).
 */
import { z } from 'zod';
import { CLASS_LENGTH, CORUS_CLASSES, type CorusClass } from '../codec/data-classes.js';
import { DATABASE_IDS, type RecordField } from '../codec/database.js';
import { ExactDecimal } from '../codec/exact-decimal.js';
import { CorusError } from '../errors.js';

/** Id of the parameter-map name on every firmware (README §7.1). */
export const MAP_NAME_PARAMETER_ID = 0x5e;

const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal string such as "0.1" or "-20"');
const nameText = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case: lower-case letters, digits and _, starting with a letter');

const parameterSchema = z.object({
  name: nameText,
  id: z.number().int().min(0).max(4095),
  class: z.enum(CORUS_CLASSES),
  unit: z.string().min(1).optional(),
  writable: z.boolean().default(false),
  min: decimalText.optional(),
  max: decimalText.optional(),
  role: z.enum(['pulse_weight', 'clock', 'map_name']).optional(),
  description: z.string().optional(),
}).strict();

const fieldSchema = z.object({
  name: nameText,
  class: z.enum(CORUS_CLASSES),
  affectedByPulseInput: z.boolean().default(false),
  multiplied: decimalText.optional(),
  unit: z.string().min(1).optional(),
}).strict();

const layoutSchema = z.object({
  recordLength: z.number().int().min(1).max(255),
  fields: z.array(fieldSchema).min(1),
}).strict();

const INTEGER_CLASSES: ReadonlySet<string> = new Set(['Byte', 'Word', 'EWord', 'ULong', 'EULong']);

const logSchema = z.object({
  databaseId: z.number().int().min(0).max(15).optional(),
  intervalS: z.number().int().positive().optional(),
  timestampField: nameText.default('end_date'),
  /** An integer field that numbers records (+1 per record) in the layout, if the firmware logs one: orders and de-duplicates records exactly. */
  sequenceField: nameText.optional(),
  /** A status bit set on records logged in summer time (device on local time), if the firmware logs one: resolves the repeated hour of the DST fall-back. */
  summerTimeFlag: z.object({ field: nameText, mask: z.number().int().min(1).max(0xffffffff) }).strict().optional(),
  layouts: z.array(layoutSchema).min(1),
}).strict();

/**
 * zod schema of a Corus parameter map with its log layouts. Cross-field rules (unique names and
 * ids, layout lengths adding up, roles) are checked too; {@link parseCorusMap} turns issues into a
 * `BB_CORUS_CONFIG_INVALID` error naming the field.
 */
export const corusMapSchema = z.object({
  /** Map id as after `FL_` at 0x5E, compared case-insensitively (README §7.1). */
  mapId: z.string().regex(/^[A-Za-z0-9]{1,5}$/, 'must be the 1–5 character map id that follows "FL_" at id 0x5E, e.g. "b0040"'),
  description: z.string().optional(),
  float3ExponentOffset: z.union([z.literal(-1), z.literal(-2)]).default(-1),
  /** Pulse weight override (decimal text, volume per pulse); else the `pulse_weight` role parameter is read (README §7.2). */
  pulseWeightOverride: decimalText.optional(),
  parameters: z.array(parameterSchema).min(1),
  logs: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'log names are snake_case'), logSchema).default({}),
}).strict().superRefine((m, ctx) => {
  const names = new Map<string, number>();
  const ids = new Map<number, number>();
  const roles = new Map<string, number>();
  m.parameters.forEach((p, i) => {
    if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'name'], message: `duplicate name "${p.name}" (also parameters[${names.get(p.name)}])` });
    names.set(p.name, i);
    if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'id'], message: `duplicate id ${p.id} (also parameters[${ids.get(p.id)}])` });
    ids.set(p.id, i);
    if (p.role !== undefined) {
      if (roles.has(p.role)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'role'], message: `role "${p.role}" already given to parameters[${roles.get(p.role)}]` });
      roles.set(p.role, i);
    }
    const numeric = !['Date', 'CorusString', 'Null2', 'Null4'].includes(p.class);
    if ((p.min !== undefined || p.max !== undefined) && !numeric) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'min'], message: `min/max only apply to numeric classes, not ${p.class}` });
    if (p.min !== undefined && p.max !== undefined && ExactDecimal.from(p.min).compare(ExactDecimal.from(p.max)) > 0) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'max'], message: `max ${p.max} is below min ${p.min}` });
    if (p.role === 'pulse_weight' && !numeric) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'class'], message: `the pulse_weight parameter must be numeric, not ${p.class}` });
    if (p.role === 'clock' && p.class !== 'Date') ctx.addIssue({ code: 'custom', path: ['parameters', i, 'class'], message: `the clock parameter must be of class Date, not ${p.class}` });
    if (p.role === 'map_name' && (p.class !== 'CorusString' || p.id !== MAP_NAME_PARAMETER_ID)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'role'], message: 'the map_name parameter is id 94 (0x5E), class CorusString (README §7.1)' });
  });
  for (const [logName, log] of Object.entries(m.logs)) {
    if (log.intervalS !== undefined && (log.intervalS < 86_400 ? 86_400 % log.intervalS !== 0 : log.intervalS % 86_400 !== 0)) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'intervalS'], message: `${log.intervalS} s neither divides a day (86400 s) nor is a whole number of days: records could not sit on the device's daily grid` });
    if (log.databaseId === undefined && !(logName in DATABASE_IDS)) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'databaseId'], message: `required for a log not named ${Object.keys(DATABASE_IDS).join('/')}` });
    const lengths = new Set<number>();
    log.layouts.forEach((l, i) => {
      const sum = l.fields.reduce((n, f) => n + CLASS_LENGTH[f.class], 0);
      if (sum !== l.recordLength) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'layouts', i, 'recordLength'], message: `is ${l.recordLength} but the field classes add up to ${sum} bytes` });
      if (lengths.has(l.recordLength)) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'layouts', i, 'recordLength'], message: `a layout for ${l.recordLength}-byte records already exists` });
      lengths.add(l.recordLength);
      const fnames = new Set<string>();
      l.fields.forEach((f, j) => {
        if (fnames.has(f.name)) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'layouts', i, 'fields', j, 'name'], message: `duplicate field "${f.name}"` });
        fnames.add(f.name);
        const numeric = !['Date', 'CorusString', 'Null2', 'Null4'].includes(f.class);
        if ((f.affectedByPulseInput || f.multiplied !== undefined) && !numeric) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'layouts', i, 'fields', j, 'class'], message: `pulse scaling needs a numeric class, not ${f.class}` });
        if (f.multiplied !== undefined && ExactDecimal.from(f.multiplied).isZero()) ctx.addIssue({ code: 'custom', path: ['logs', logName, 'layouts', i, 'fields', j, 'multiplied'], message: 'must not be 0' });
      });
      const ts = l.fields.find((f) => f.name === log.timestampField);
      if (ts === undefined || ts.class !== 'Date') ctx.addIssue({ code: 'custom', path: ['logs', logName, 'timestampField'], message: `"${log.timestampField}" must be a Date field of every layout (layouts[${i}] lacks it)` });
      for (const [key, name] of [['sequenceField', log.sequenceField], ['summerTimeFlag', log.summerTimeFlag?.field]] as const) {
        if (name === undefined) continue;
        const f = l.fields.find((x) => x.name === name);
        if (f === undefined || !INTEGER_CLASSES.has(f.class)) ctx.addIssue({ code: 'custom', path: ['logs', logName, key], message: `"${name}" must be an integer field (Byte, Word, EWord, ULong, EULong) of every layout (layouts[${i}] ${f === undefined ? 'lacks it' : `has it as ${f.class}`})` });
      }
    });
  }
});

/** A map as written in configuration (JSON), before defaults. */
export type CorusMapInput = z.input<typeof corusMapSchema>;
/** A validated map as {@link parseCorusMap} returns it. */
export type CorusMapConfig = z.output<typeof corusMapSchema>;
/** One validated parameter entry. */
export type CorusParameter = CorusMapConfig['parameters'][number];

/**
 * A validated map with lookups, as used by the client and simulator.
 */
export interface CorusMap {
  /** The validated configuration. */
  readonly config: CorusMapConfig;
  /** Lower-cased map id (README §7.1). */
  readonly mapId: string;
  /** Parameter by name. */
  readonly byName: ReadonlyMap<string, CorusParameter>;
  /** Parameter by id. */
  readonly byId: ReadonlyMap<number, CorusParameter>;
  /** Parameter with a role (`pulse_weight`, `clock`, `map_name`). */
  role(role: NonNullable<CorusParameter['role']>): CorusParameter | undefined;
  /** Database id of a configured log. */
  databaseId(log: string): number;
  /** Record layout of `log` for records of `recordLength` bytes. */
  layout(log: string, recordLength: number): readonly RecordField[] | undefined;
}

/**
 * Validates a map once, at the edge (STYLE.md example 10).
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` whose message lists every issue as `path: message`,
 *   e.g. `parameters[2].class: Invalid option: expected one of "Byte"|...`.
 */
export function parseCorusMap(input: unknown): CorusMap {
  const r = corusMapSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new CorusError('BB_CORUS_CONFIG_INVALID', `invalid Corus map: ${lines.join('; ')}`, { context: { issues: lines.length, first: lines[0] } });
  }
  const config = r.data;
  const byName = new Map(config.parameters.map((p) => [p.name, p]));
  const byId = new Map(config.parameters.map((p) => [p.id, p]));
  return {
    config,
    mapId: config.mapId.toLowerCase(),
    byName,
    byId,
    role: (role) => config.parameters.find((p) => p.role === role),
    databaseId: (log) => {
      const l = config.logs[log];
      if (l === undefined) throw new CorusError('BB_CORUS_NO_LAYOUT', `log "${log}" is not configured (configured: ${Object.keys(config.logs).join(', ') || 'none'})`);
      return l.databaseId ?? DATABASE_IDS[log as keyof typeof DATABASE_IDS];
    },
    layout: (log, len) => config.logs[log]?.layouts.find((l) => l.recordLength === len)?.fields,
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(map)' : s;
}

/** Whether a class carries numbers. */
export function isNumericClass(cls: CorusClass): boolean {
  return !['Date', 'CorusString', 'Null2', 'Null4'].includes(cls);
}
