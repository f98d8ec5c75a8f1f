import { describe, expect, it } from 'vitest';
import { inhibitedBy } from '../../src/routing/inhibition.js';
import type { InhibitRule } from '../../src/routing/inhibition.js';
import { parseMatcher } from '@busbar/alert-control';

const rule: InhibitRule = { sourceMatchers: [parseMatcher('alertname="pcs-off"')], targetMatchers: [parseMatcher('alertname!="pcs-off"')], equal: ['rack'] };
const pcs = { alertId: 'p1', labels: { alertname: 'pcs-off', rack: 'r2', device: 'pcs-r2' } };
const cell = (rack: string | undefined, id = 'c1'): { alertId: string; labels: Record<string, string> } => ({ alertId: id, labels: { alertname: 'cell-temp', ...(rack === undefined ? {} : { rack }), device: 'cell-1' } });

describe('alerter > routing > inhibition (Alertmanager inhibit_rule semantics)', () => {
  it('a firing source mutes a target with the same equal labels, not one of another rack', () => {
    expect(inhibitedBy(cell('r2'), [pcs], [rule])).toBe('p1');
    expect(inhibitedBy(cell('r4'), [pcs], [rule])).toBeUndefined();
  });

  it('a label missing in both counts as equal; missing in one only does not', () => {
    const pcsNoRack = { alertId: 'p2', labels: { alertname: 'pcs-off' } };
    expect(inhibitedBy(cell(undefined), [pcsNoRack], [rule])).toBe('p2');
    expect(inhibitedBy(cell('r2'), [pcsNoRack], [rule])).toBeUndefined();
  });

  it('an alert never inhibits itself; a target that is not matched by targetMatchers is not muted; no rules mute nothing', () => {
    const both: InhibitRule = { sourceMatchers: [parseMatcher('severity="critical"')], targetMatchers: [parseMatcher('severity=~".+"')], equal: [] };
    const a = { alertId: 'a', labels: { severity: 'critical' } };
    expect(inhibitedBy(a, [a], [both])).toBeUndefined();
    expect(inhibitedBy({ alertId: 'b', labels: { severity: 'warning' } }, [a], [both])).toBe('a');
    expect(inhibitedBy({ ...pcs, alertId: 'p9' }, [pcs], [rule])).toBeUndefined();
    expect(inhibitedBy(cell('r2'), [pcs], [])).toBeUndefined();
  });
});
