/**
 * Test-state scope of a rule on readings, pure: a rule with `when` evaluates only the readings of
 * a channel in the given state, e.g. only while it charges, in one step type, or during a test
 * whose name matches. It matches the fields of data model v2 (docs/data-model.md): the reading's
 * `record_type` (`cycler_channel`, `rig:bmu`…) and its `states` (`status`, `state`, `test_name`,
 * `schedule_name`, `step_name`, `interlock`…; tags or fields in InfluxDB, the same text here).
 */
import picomatch from 'picomatch';
import type { Reading } from '@busbar/avro';

/** A rule's scope: every condition given must hold; each lists globs, one of which must match. */
export interface ReadingScope {
  /** Globs on `record_type` (`cycler_channel`, `modbus:*`); a reading without one does not match. */
  readonly recordTypes?: readonly string[] | undefined;
  /**
   * Globs per state name (`{ status: ['Charge', 'CC*Charge'], test_name: ['cell-*'] }`); a
   * reading without that state does not match. Globs are case-sensitive, as the device reports.
   */
  readonly states?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** Compiles a scope into a predicate on readings (`undefined`: every reading is in scope). */
export function compileScope(scope: ReadingScope | undefined): (r: Pick<Reading, 'record_type' | 'states'>) => boolean {
  if (scope === undefined) return () => true;
  const recordType = scope.recordTypes ? picomatch([...scope.recordTypes]) : undefined;
  const states = Object.entries(scope.states ?? {}).map(([name, globs]) => ({ name, matches: picomatch([...globs]) }));
  return (r) => {
    if (recordType && (r.record_type === null || r.record_type === undefined || !recordType(r.record_type))) return false;
    for (const { name, matches } of states) {
      const v = r.states[name];
      if (v === undefined || !matches(v)) return false;
    }
    return true;
  };
}
