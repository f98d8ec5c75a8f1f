/**
 * Test-state scope of a rule on readings, pure: a rule with `when` evaluates only the readings of
 * a channel in the given state, e.g. only while it charges, in one step type, or during a test
 * whose name matches. It matches the fields of data model v2 (docs/data-model.md): the reading's
 * `record_type` (`cycler_channel`, `rig:bmu`…), its `states` (`status`, `state`, `test_name`,
 * `schedule_name`, `step_name`, `interlock`…; tags or fields in InfluxDB, the same text here) and
 * ranges of its `values` (`current_a` above 0: charging, whatever the vendor calls the state).
 */
import picomatch from 'picomatch';
import type { Reading } from '@busbar/avro';

/** An open range on a value, in the value's unit: `above < value < below` (each bound optional). */
export interface ValueRange {
  readonly above?: number | undefined;
  readonly below?: number | undefined;
}

/** A rule's scope: every condition given must hold; each lists globs, one of which must match. */
export interface ReadingScope {
  /** Globs on `record_type` (`cycler_channel`, `modbus:*`); a reading without one does not match. */
  readonly recordTypes?: readonly string[] | undefined;
  /**
   * Globs per state name (`{ status: ['Charge', 'CC*Charge'], test_name: ['cell-*'] }`); a
   * reading without that state does not match. Globs are case-sensitive, as the device reports.
   */
  readonly states?: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * Ranges per value name (`{ current_a: { above: 0 } }`: charging on cyclers whose current is
   * positive while charging, as Arbin's); a reading without that value (in `values`, or a decimal in
   * `exact_values`) does not match.
   */
  readonly values?: Readonly<Record<string, ValueRange>> | undefined;
}

/** Compiles a scope into a predicate on readings (`undefined`: every reading is in scope). */
export function compileScope(scope: ReadingScope | undefined): (r: Pick<Reading, 'record_type' | 'states' | 'values' | 'exact_values'>) => boolean {
  if (scope === undefined) return () => true;
  const recordType = scope.recordTypes ? picomatch([...scope.recordTypes]) : undefined;
  const states = Object.entries(scope.states ?? {}).map(([name, globs]) => ({ name, matches: picomatch([...globs]) }));
  const values = Object.entries(scope.values ?? {});
  return (r) => {
    if (recordType && (r.record_type === null || r.record_type === undefined || !recordType(r.record_type))) return false;
    for (const { name, matches } of states) {
      const v = r.states[name];
      if (v === undefined || !matches(v)) return false;
    }
    for (const [name, { above, below }] of values) {
      const exact = r.exact_values[name];
      const v = r.values[name] ?? (exact !== undefined ? Number(exact) : undefined);
      if (v === undefined || !Number.isFinite(v) || (above !== undefined && !(v > above)) || (below !== undefined && !(v < below))) return false;
    }
    return true;
  };
}
