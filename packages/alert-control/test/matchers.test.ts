import { describe, expect, it } from 'vitest';
import { matchesAll, parseMatcher } from '../src/matchers.js';

const labels = { alertname: 'cell-temp', rack: 'r3', severity: 'warning', device: 'cell-r3-1' };

describe('alert-control > matchers (Alertmanager syntax)', () => {
  it.each([
    ['rack="r3"', true],
    ['rack=r3', true],
    [' rack = "r3" ', true],
    ['rack="r4"', false],
    ['rack!="r4"', true],
    ['rack!=r3', false],
    ['severity=~"warning|critical"', true],
    ['severity=~"warn"', false], // anchored at both ends
    ['device=~"cell-r3-.*"', true],
    ['device!~"cell-.*"', false],
    ['team=""', true], // a missing label is the empty string
    ['team!=""', false],
    ['team=~".*"', true],
    ['alertname="cell\\"temp"', false],
  ])('%s → %s', (text, expected) => {
    expect(matchesAll([parseMatcher(text)], labels)).toBe(expected);
  });

  it('unquotes \\" and \\\\ in quoted values; all matchers of a list must hold; an empty list matches', () => {
    expect(parseMatcher('comment="a \\"b\\" \\\\ c"').value).toBe('a "b" \\ c');
    expect(matchesAll([parseMatcher('rack="r3"'), parseMatcher('severity="critical"')], labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });

  it.each([
    ['rack', /expected label_name/],
    ['3rack="r3"', /expected label_name/],
    ['rack="r3', /unterminated quoted value/],
    ['rack=~"("', /regular expression does not compile/],
  ])('refuses %s with BB_ALERTER_MATCHER_INVALID', (text, message) => {
    expect(() => parseMatcher(text)).toThrow(expect.objectContaining({ code: 'BB_ALERTER_MATCHER_INVALID', message: expect.stringMatching(message) }));
  });
});
