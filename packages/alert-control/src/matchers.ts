/**
 * Label matchers with Alertmanager's syntax and semantics, pure (Alertmanager documentation,
 * "Configuration" → "Matcher"; the same syntax `amtool` and `inhibit_rules` take):
 *
 *   matcher  = label_name op value
 *   op       = "=" | "!=" | "=~" | "!~"
 *   value    = a double-quoted string (`\"` and `\\` escapes) or an unquoted run of characters
 *
 * `=~` / `!~` take a RE2-style regular expression anchored at both ends (`^(?:re)$`, as Alertmanager
 * anchors it); a label the alert does not have matches as the empty string (so `team=""` matches
 * alerts without `team`). Here regular expressions run on JavaScript's engine: RE2 syntax that
 * JavaScript lacks (`(?P<name>…)`, `\z`) is refused as invalid.
 */
import { BusbarError } from '@busbar/core';

/** One parsed matcher. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
  /** Compiled, anchored (regex ops only). */
  readonly re?: RegExp;
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/**
 * Parses one matcher (`rack="r3"`, `severity=~"warning|critical"`, `alertname!=pcs-off`).
 *
 * @throws {BusbarError} `BB_ALERTER_MATCHER_INVALID` naming the text: not `name op value`, an
 *   unterminated quote, or a regular expression that does not compile.
 */
export function parseMatcher(text: string): LabelMatcher {
  const m = MATCHER.exec(text);
  if (m === null) throw invalid(text, 'expected label_name followed by =, !=, =~ or !~ and a value');
  const [, name, op, raw] = m as unknown as [string, string, LabelMatcher['op'], string];
  let value = raw;
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"') || raw.endsWith('\\"') && !raw.endsWith('\\\\"')) throw invalid(text, 'unterminated quoted value');
    value = raw.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, re: new RegExp(`^(?:${value})$`, 'u') };
    } catch (cause) {
      throw invalid(text, `regular expression does not compile: ${(cause as Error).message}`, cause);
    }
  }
  return { name, op, value };
}

function invalid(text: string, why: string, cause?: unknown): BusbarError {
  return new BusbarError('BB_ALERTER_MATCHER_INVALID', `matcher ${JSON.stringify(text)}: ${why}`, { cause, context: { matcher: text } });
}

/**
 * Whether every matcher holds for `labels` (an empty list matches everything).
 *
 * @param matchers - parsed matchers.
 * @param labels - the alert's labels; a missing label counts as `""`.
 */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=': return v === m.value;
      case '!=': return v !== m.value;
      case '=~': return m.re!.test(v);
      case '!~': return !m.re!.test(v);
    }
  });
}
