/**
 * RCI (Remote Control Interface) command templates and reply matching. The RCI syntax is **not
 * public** (reference §6: "Public information found: none"; the vendor note only says ASCII
 * commands over Ethernet or RS232, start/stop of prepared test plans, adding batteries, single
 * state reads, ≤ 10 commands/s, replies from 1 s to minutes). So the command set is configuration:
 * each command is a request template with `{placeholder}`s and two reply patterns (success,
 * refusal) filled from the vendor's RCI manual. Nothing here is BaSyTec's real syntax; the example
 * set {@link EXAMPLE_RCI_TEMPLATES} is invented and says so.
 *
 * Pure: no I/O, no timers.
 */
import { BasytecError } from '../errors.js';

/** One command: what to send and how to recognise its reply. */
export interface RciCommandTemplate {
  /** Request line without terminator, e.g. `START {channel} {plan}`; placeholders are `{name}`. */
  readonly request: string;
  /** Regular expression (source) a success reply matches; `{name}` placeholders are filled (escaped) first. Named groups are returned. */
  readonly success: string;
  /** Regular expression (source) of a refusal reply (e.g. `^ERR {channel} (?<reason>.*)$`). */
  readonly refusal?: string;
  /** Reply timeout for this command, ms (reference §6: up to minutes). */
  readonly timeoutMs?: number;
}

/** The configured command set. `start`, `stop`, `readState` are the ones the driver's helpers use. */
export interface RciTemplates {
  readonly start: RciCommandTemplate;
  readonly stop: RciCommandTemplate;
  readonly readState: RciCommandTemplate;
  readonly [name: string]: RciCommandTemplate;
}

/**
 * An **invented** example command set, for the simulator, the tests and the docs. Replace every
 * template with the syntax of the RCI manual of your BaSyTec installation.
 */
export const EXAMPLE_RCI_TEMPLATES: RciTemplates = {
  start: { request: 'START {channel} {plan}', success: '^OK START {channel}$', refusal: '^ERR START {channel} (?<reason>.*)$', timeoutMs: 180_000 },
  stop: { request: 'STOP {channel}', success: '^OK STOP {channel}$', refusal: '^ERR STOP {channel} (?<reason>.*)$', timeoutMs: 60_000 },
  readState: { request: 'STATE? {channel}', success: '^STATE {channel} (?<state>\\S+)$', refusal: '^ERR STATE {channel} (?<reason>.*)$', timeoutMs: 30_000 },
};

/** Values for placeholders: printable ASCII, no terminator characters. */
export type RciValues = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Names of the placeholders of a template string, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

function valueText(name: string, values: RciValues, command: string): string {
  const v = values[name];
  if (v === undefined) {
    throw new BasytecError('BB_BASYTEC_RCI_TEMPLATE_INVALID', `RCI command ${command}: no value for placeholder {${name}}`, { outcome: 'not_sent', context: { command, placeholder: name } });
  }
  const s = String(v);
  if (!PRINTABLE.test(s)) {
    throw new BasytecError('BB_BASYTEC_RCI_TEMPLATE_INVALID', `RCI command ${command}: value of {${name}} must be printable ASCII without line breaks, got ${JSON.stringify(s)}`, {
      outcome: 'not_sent',
      context: { command, placeholder: name },
    });
  }
  return s;
}

/**
 * Fills a request template. RCI is ASCII (vendor note), so values are printable ASCII only.
 * @returns the request line, without terminator.
 * @throws {BasytecError} `BB_BASYTEC_RCI_TEMPLATE_INVALID` (outcome `not_sent`) for a missing placeholder value or a non-printable value.
 */
export function fillRequest(command: string, tpl: RciCommandTemplate, values: RciValues): string {
  return tpl.request.replace(PLACEHOLDER, (_m, name: string) => valueText(name, values, command));
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A reply pattern with placeholders filled (escaped), compiled. */
export function compileReply(command: string, source: string, values: RciValues): RegExp {
  const filled = source.replace(PLACEHOLDER, (_m, name: string) => escapeRe(valueText(name, values, command)));
  return new RegExp(filled);
}

/** How a reply line relates to a command. */
export type ReplyMatch =
  | { readonly kind: 'success'; readonly groups: Readonly<Record<string, string>> }
  | { readonly kind: 'refused'; readonly groups: Readonly<Record<string, string>> }
  | { readonly kind: 'none' };

/** A compiled expectation: the reply patterns of one sent command. */
export interface ReplyExpectation {
  readonly success: RegExp;
  readonly refusal: RegExp | undefined;
}

/**
 * Compiles the reply patterns of a command for these values.
 * @throws {BasytecError} `BB_BASYTEC_RCI_TEMPLATE_INVALID` as {@link fillRequest}.
 */
export function expectReply(command: string, tpl: RciCommandTemplate, values: RciValues): ReplyExpectation {
  return { success: compileReply(command, tpl.success, values), refusal: tpl.refusal === undefined ? undefined : compileReply(command, tpl.refusal, values) };
}

/** Classifies one reply line against an expectation (refusal checked first). */
export function matchReply(e: ReplyExpectation, line: string): ReplyMatch {
  const r = e.refusal?.exec(line);
  if (r !== null && r !== undefined) return { kind: 'refused', groups: { ...(r.groups ?? {}) } };
  const s = e.success.exec(line);
  if (s !== null) return { kind: 'success', groups: { ...(s.groups ?? {}) } };
  return { kind: 'none' };
}

/**
 * Validates a template set once at the edge: every pattern compiles (with placeholders replaced),
 * every reply placeholder also appears in the request.
 * @throws {BasytecError} `BB_BASYTEC_CONFIG_INVALID` naming the command and field.
 */
export function validateTemplates(t: RciTemplates): void {
  for (const name of ['start', 'stop', 'readState']) {
    if (t[name] === undefined) throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name} is missing`, { context: { field: `rci.templates.${name}` } });
  }
  for (const [name, tpl] of Object.entries(t)) {
    if (typeof tpl.request !== 'string' || tpl.request.trim() === '' || !PRINTABLE.test(tpl.request)) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name}.request must be a non-empty printable ASCII line`, { context: { field: `rci.templates.${name}.request` } });
    }
    const req = new Set(placeholders(tpl.request));
    for (const field of ['success', 'refusal'] as const) {
      const src = tpl[field];
      if (src === undefined) continue;
      for (const p of placeholders(src)) {
        if (!req.has(p)) throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name}.${field} uses {${p}} which the request does not`, { context: { field: `rci.templates.${name}.${field}` } });
      }
      try {
        new RegExp(src.replace(PLACEHOLDER, 'x'));
      } catch (err) {
        throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name}.${field} is not a valid regular expression: ${(err as Error).message}`, { cause: err, context: { field: `rci.templates.${name}.${field}` } });
      }
    }
    if (tpl.timeoutMs !== undefined && (!Number.isInteger(tpl.timeoutMs) || tpl.timeoutMs <= 0)) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name}.timeoutMs must be a positive integer (ms)`, { context: { field: `rci.templates.${name}.timeoutMs` } });
    }
  }
}

/**
 * Splits an ASCII byte stream into lines at `\n` (a preceding `\r` is dropped), for any chunking.
 * Lines longer than `maxLineBytes` are cut off and reported as `overflow`.
 */
export class LineDecoder {
  private pending = '';
  /** @param maxLineBytes - cap of one reply line. @default 8192 */
  constructor(private readonly maxLineBytes = 8192) {}
  /** Feeds bytes; returns the complete lines. */
  push(chunk: Uint8Array): { lines: string[]; overflow: boolean } {
    this.pending += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    let overflow = false;
    if (this.pending.length > this.maxLineBytes) {
      this.pending = '';
      overflow = true;
    }
    return { lines: parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), overflow };
  }
}
