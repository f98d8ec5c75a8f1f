/**
 * The interlock's configuration: a declarative rule table, the inputs it expects (and when they count
 * as stale), the actions of each state, and the PCS envelope every set-point must stay within.
 *
 * Source of the shipped example (`examples/safety-rig.yaml`, `interlock:` section): the original rig
 * software's thresholds and state actions (safety-rig reference §2 `config.properties`, §6.1 threshold
 * table, §6.2 state machine). What differs from the original and why: README.md "D1–D10".
 *
 * Pure: zod schema and cross-field checks, no I/O.
 */
import { z } from 'zod';
import { RigError } from '../errors.js';

/** Where a quantity comes from: each configured BMU node, the PCS, or the Arduino I/O board. */
export type InputKind = 'bmu' | 'pcs' | 'arduino';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const outputName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'output names are lower-case identifiers (pump, fan, relay1...)');
const outputs = z.record(outputName, z.boolean());

/** A PCS set-point: op mode and value in A (`current`) or kW (`power`). */
const pcsSetpointSchema = z.object({
  mode: z.enum(['current', 'power']),
  /** A in current mode, kW in power mode; negative = charge, as the original (reference §7). */
  value: finite,
}).strict();

/** One row of the rule table. */
const ruleSchema = z.object({
  /** Names the rule in events and refusals (`cell_voltage_high`). */
  id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'rule ids are lower-case identifiers'),
  /** Which input the quantity belongs to; a `bmu` rule is evaluated for every configured node. */
  source: z.enum(['bmu', 'pcs', 'arduino']),
  /** Reading field (SI unit in its name): `max_cell_voltage_v`, `battery_voltage_v`, `temperature_1_c`... */
  quantity: z.string().min(1),
  /** Compare the absolute value (the original compared the PCS's |V|, reference §6.1). @default false */
  absolute: z.boolean().default(false),
  /** `above`: a level is reached when value ≥ level; `below`: when value ≤ level. */
  comparator: z.enum(['above', 'below']),
  /** Warning level, in the quantity's unit; absent = no warning level. */
  warning: finite.optional(),
  /** Dangerous level, in the quantity's unit; absent = no dangerous level. */
  dangerous: finite.optional(),
  /**
   * A raised level clears only once the value is back past the level by this much (same unit):
   * `above` clears at value ≤ level − hysteresis. @default 0
   */
  hysteresis: z.number().min(0).default(0),
  /** Keep the highest level this rule reached until `rig.reset_latch` (not only while the value is past it). @default false */
  latch: z.boolean().default(false),
  /** Name of a `actions.warning` entry run when this rule reaches its warning level. */
  onWarning: z.string().optional(),
}).strict();

/** The `interlock:` section. */
export const interlockConfigSchema = z.object({
  /** The inputs the rules read, and the age after which each one counts as dangerous (defects D5, D8). */
  inputs: z.object({
    bmu: z.object({
      /** BMU node ids (CANopen node id n: PDO1 at 0x180 + n; reference §3.2), 1..15. */
      nodes: z.array(z.number().int().min(1).max(15)).min(1),
      /** A BMU quantity not refreshed for this long counts as dangerous, ms. */
      staleAfterMs: z.number().int().min(1),
    }).strict(),
    pcs: z.object({ staleAfterMs: z.number().int().min(1) }).strict(),
    arduino: z.object({ staleAfterMs: z.number().int().min(1) }).strict(),
  }).strict(),
  rules: z.array(ruleSchema).min(1),
  actions: z.object({
    /** Named warning actions (`cooling: {outputs: {pump: true, fan: true}}`, `charge: {pcsSetpoint: …}`), chosen per rule by `onWarning`. */
    warning: z.record(z.string(), z.object({ outputs: outputs.optional(), pcsSetpoint: pcsSetpointSchema.optional() }).strict()).default({}),
    /** Run on every return to normal (e.g. pump and fan off again: defect D2). */
    normal: z.object({ outputs: outputs.default({}) }).strict().default({ outputs: {} }),
    /** Run on entering dangerous: the PCS is switched off at once, then `openRelays` are switched off after `relayOpenDelayMs`. */
    dangerous: z.object({
      outputs: outputs.default({}),
      openRelays: z.array(outputName).min(1),
      /** Delay between PCS off and relays open, ms (the original: 2 s, reference §6.2). */
      relayOpenDelayMs: z.number().int().min(0).max(60_000),
    }).strict(),
    /** Run on entering safe (after the relays opened): PCS off again and these outputs. */
    safe: z.object({ outputs: outputs.default({}) }).strict(),
  }).strict(),
  /** The PCS envelope: every set-point (schedule, command, warning action) must lie within it. */
  envelope: z.object({
    currentA: z.object({ min: finite, max: finite }).strict(),
    powerKw: z.object({ min: finite, max: finite }).strict(),
  }).strict(),
}).strict();

/** The validated `interlock:` section. */
export type InterlockConfig = z.output<typeof interlockConfigSchema>;
/** One rule of the table, with defaults applied. */
export type InterlockRule = InterlockConfig['rules'][number];
/** The PCS envelope. */
export type Envelope = InterlockConfig['envelope'];
/** A PCS set-point (mode and value, A or kW). */
export type PcsSetpoint = z.output<typeof pcsSetpointSchema>;

/**
 * Whether `sp` lies within the envelope.
 *
 * @returns undefined when it does, else a sentence naming the limit.
 */
export function envelopeViolation(sp: PcsSetpoint, envelope: Envelope): string | undefined {
  const r = sp.mode === 'current' ? envelope.currentA : envelope.powerKw;
  const unit = sp.mode === 'current' ? 'A' : 'kW';
  return sp.value < r.min || sp.value > r.max ? `${sp.mode} set-point ${sp.value} ${unit} is outside the envelope [${r.min}, ${r.max}] ${unit}` : undefined;
}

/** Cross-field checks zod's shape cannot say. @returns [path, message] per problem. */
function crossCheck(c: InterlockConfig): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const ids = new Set<string>();
  for (const [name, r] of [['currentA', c.envelope.currentA], ['powerKw', c.envelope.powerKw]] as const) {
    if (r.min > r.max) problems.push([`envelope.${name}`, `min ${r.min} is above max ${r.max}`]);
  }
  c.rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (ids.has(rule.id)) problems.push([`${at}.id`, `duplicate rule id ${rule.id}`]);
    ids.add(rule.id);
    if (rule.warning === undefined && rule.dangerous === undefined) problems.push([at, 'give a warning level, a dangerous level or both']);
    if (rule.warning !== undefined && rule.dangerous !== undefined) {
      const ordered = rule.comparator === 'above' ? rule.dangerous >= rule.warning : rule.dangerous <= rule.warning;
      if (!ordered) problems.push([`${at}.dangerous`, `${rule.dangerous} must be ${rule.comparator === 'above' ? 'at or above' : 'at or below'} the warning level ${rule.warning} for a rule "${rule.comparator}"`]);
    }
    if (rule.onWarning !== undefined) {
      if (rule.warning === undefined) problems.push([`${at}.onWarning`, 'a rule without a warning level never runs a warning action']);
      if (!(rule.onWarning in c.actions.warning)) problems.push([`${at}.onWarning`, `no actions.warning entry named ${rule.onWarning}`]);
    }
  });
  for (const [name, action] of Object.entries(c.actions.warning)) {
    if (action.pcsSetpoint) {
      const v = envelopeViolation(action.pcsSetpoint, c.envelope);
      if (v) problems.push([`actions.warning.${name}.pcsSetpoint`, v]);
    }
    if (!action.outputs && !action.pcsSetpoint) problems.push([`actions.warning.${name}`, 'give outputs, a pcsSetpoint or both']);
  }
  for (const relay of c.actions.dangerous.openRelays) {
    if (c.actions.dangerous.outputs[relay] === true) problems.push([`actions.dangerous.outputs.${relay}`, `${relay} is in openRelays and cannot be switched on in dangerous`]);
  }
  return problems;
}

/**
 * Parses and checks the `interlock:` section.
 *
 * @throws {RigError} `BB_RIG_CONFIG_INVALID` naming every field at fault (`interlock.rules[1].dangerous: …`).
 */
export function parseInterlockConfig(input: unknown): InterlockConfig {
  const parsed = interlockConfigSchema.safeParse(input);
  const problems: Array<[string, string]> = parsed.success
    ? crossCheck(parsed.data)
    : parsed.error.issues.map((i) => [i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, ''), i.message]);
  if (problems.length > 0 || !parsed.success) {
    throw new RigError('BB_RIG_CONFIG_INVALID', `interlock configuration invalid: ${problems.map(([p, m]) => `interlock.${p}: ${m}`).join('; ')}`, { field: problems[0] ? `interlock.${problems[0][0]}` : null });
  }
  return parsed.data;
}
