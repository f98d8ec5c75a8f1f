/**
 * Routes by labels to receivers (channels), pure: Alertmanager's routing reduced to one level —
 * routes are tried in order; a route whose matchers all hold for the alert's labels sends it to its
 * receivers and ends the walk, unless it says `continue` (then later routes are tried too, as in
 * Alertmanager's `continue: true`); an alert no route matches goes to the default receivers.
 * Receivers are the outbox channel names: `email`, `webhook-<n>`, `alertmanager-<n>`, `pagerduty-<n>`.
 */
import type { LabelMatcher } from '@busbar/alert-control';
import { matchesAll } from '@busbar/alert-control';

/** One route. */
export interface Route {
  readonly matchers: readonly LabelMatcher[];
  readonly receivers: readonly string[];
  readonly continue: boolean;
}

/**
 * The receivers of an alert.
 *
 * @param routes - in order.
 * @param defaults - receivers of an alert no route matched.
 * @param labels - the alert's labels.
 */
export function receiversOf(routes: readonly Route[], defaults: readonly string[], labels: Readonly<Record<string, string>>): Set<string> {
  const out = new Set<string>();
  let matched = false;
  for (const r of routes) {
    if (!matchesAll(r.matchers, labels)) continue;
    matched = true;
    for (const name of r.receivers) out.add(name);
    if (!r.continue) break;
  }
  return matched ? out : new Set(defaults);
}
