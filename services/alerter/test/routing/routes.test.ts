import { describe, expect, it } from 'vitest';
import { parseMatcher } from '@busbar/alert-control';
import { receiversOf } from '../../src/routing/routes.js';
import type { Route } from '../../src/routing/routes.js';

const route = (matchers: string[], receivers: string[], cont = false): Route => ({ matchers: matchers.map(parseMatcher), receivers, continue: cont });
const routes = [
  route(['severity="critical"', 'rack="r1"'], ['pagerduty-1'], true),
  route(['rack="r1"'], ['email']),
  route(['rack=~"r[0-9]+"'], ['webhook-1']),
];
const defaults = ['email', 'webhook-1', 'pagerduty-1'];

describe('alerter > routing > routes', () => {
  it('the first matching route ends the walk unless it says continue; an alert no route matches goes to the defaults', () => {
    expect([...receiversOf(routes, defaults, { rack: 'r1', severity: 'critical' })]).toEqual(['pagerduty-1', 'email']);
    expect([...receiversOf(routes, defaults, { rack: 'r1', severity: 'warning' })]).toEqual(['email']);
    expect([...receiversOf(routes, defaults, { rack: 'r7', severity: 'critical' })]).toEqual(['webhook-1']);
    expect([...receiversOf(routes, defaults, { severity: 'critical' })]).toEqual(defaults);
    expect([...receiversOf([], ['email'], { rack: 'r1' })]).toEqual(['email']);
  });
});
