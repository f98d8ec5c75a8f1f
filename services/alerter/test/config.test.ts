import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alerterConfigSchema } from '../src/index.js';
import { enginesOf, readsDeviceEvents, resolveAlerterSecrets, signalOfRule, stateTopicOf } from '../src/config.js';
import { DEFAULT_SMTP_TIMEOUTS_MS } from '../src/notify/email.js';

const base = {
  kafka: { brokers: ['127.0.0.1:9092'] },
  rules: [{ id: 'psu-temp', signal: 'temperature_c', critical: 80, clear: 60 }],
};

describe('alerter > config', () => {
  it('bounds every SMTP wait by default: 10 s connect, 10 s greeting, 20 s socket inactivity', () => {
    const c = alerterConfigSchema.parse({ ...base, email: { smtp: { host: 'smtp.lab.test' }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(c.email?.smtp).toMatchObject({ connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 20_000 });
    expect(DEFAULT_SMTP_TIMEOUTS_MS).toEqual({ connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 20_000 });
  });

  it('takes configured SMTP timeouts and refuses ones below 100 ms, naming the field', () => {
    const c = alerterConfigSchema.parse({ ...base, email: { smtp: { host: 'smtp.lab.test', greetingTimeoutMs: 2500 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(c.email?.smtp.greetingTimeoutMs).toBe(2500);
    const bad = alerterConfigSchema.safeParse({ ...base, email: { smtp: { host: 'smtp.lab.test', socketTimeoutMs: 5 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['email', 'smtp', 'socketTimeoutMs']);
  });

  it('Alertmanagers, PagerDuty and acks: defaults (1 min resend, PagerDuty endpoint and severities), and refusals that name the field', () => {
    const c = alerterConfigSchema.parse({ ...base, alertmanagers: [{ url: 'http://am:9093', deviceLabels: { 'psu-r1-*': { rack: 'r1' } } }], pagerduty: [{ routingKeyFile: '/run/secrets/pd' }] });
    expect(c.alertmanagers[0]).toEqual({ url: 'http://am:9093', labels: {}, deviceLabels: { 'psu-r1-*': { rack: 'r1' } }, resendIntervalMs: 60_000, timeoutMs: 5000, ackSilenceMs: 86_400_000 });
    expect(c.acks).toEqual({ enabled: true, topic: 'busbar.alert-control.v1' });
    expect(c.pagerduty[0]).toMatchObject({ url: 'https://events.pagerduty.com/v2/enqueue', severity: { WARNING: 'warning', CRITICAL: 'critical' }, deviceGroups: {} });
    const badLabel = alerterConfigSchema.safeParse({ ...base, alertmanagers: [{ url: 'http://am:9093', labels: { 'bad-name': 'x' } }] });
    expect(badLabel.error?.issues[0]?.path).toEqual(['alertmanagers', 0, 'labels', 'bad-name']);
    const badSeverity = alerterConfigSchema.safeParse({ ...base, pagerduty: [{ routingKeyFile: 'k', severity: { CRITICAL: 'sev1' } }] });
    expect(badSeverity.error?.issues[0]?.path).toEqual(['pagerduty', 0, 'severity', 'CRITICAL']);
    // strict: the key comes from a file only; unknown keys are refused in every new section
    expect(alerterConfigSchema.safeParse({ ...base, pagerduty: [{ routingKeyFile: 'k', routingKey: 'R0123' }] }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['pagerduty', 0] });
    expect(alerterConfigSchema.safeParse({ ...base, alertmanagers: [{ url: 'http://am:9093', resendInterval: 1000 }] }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['alertmanagers', 0] });
    expect(alerterConfigSchema.safeParse({ ...base, acks: { topics: 'x' } }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['acks'] });
    expect(alerterConfigSchema.safeParse({ ...base, alertmanagers: [{ url: 'http://am:9093', resendIntervalMs: 999 }] }).error?.issues[0]?.path).toEqual(['alertmanagers', 0, 'resendIntervalMs']);
  });

  it('reads each PagerDuty routing key from its file (relative to the configuration, trimmed); a missing or empty file is BB_ALERTER_SECRET_UNREADABLE naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-pd-'));
    writeFileSync(join(dir, 'key'), '  R0123456789abcdef0123456789abcde\n');
    writeFileSync(join(dir, 'empty'), '\n');
    const resolved = resolveAlerterSecrets(alerterConfigSchema.parse({ ...base, pagerduty: [{ routingKeyFile: 'key' }] }), dir);
    expect(resolved.pagerduty[0]).toMatchObject({ routingKey: 'R0123456789abcdef0123456789abcde' });
    expect(resolved.pagerduty[0]).not.toHaveProperty('routingKeyFile');
    expect(resolveAlerterSecrets(resolved, dir)).toEqual(resolved); // idempotent
    expect(() => resolveAlerterSecrets(alerterConfigSchema.parse({ ...base, pagerduty: [{ routingKeyFile: 'empty' }] }), dir)).toThrow(expect.objectContaining({ code: 'BB_ALERTER_SECRET_UNREADABLE', message: expect.stringContaining('pagerduty.0.routingKeyFile') }));
    expect(() => resolveAlerterSecrets(alerterConfigSchema.parse({ ...base, pagerduty: [{ routingKeyFile: 'missing' }] }), dir)).toThrow(expect.objectContaining({ code: 'BB_ALERTER_SECRET_UNREADABLE' }));
  });

  it('routing: matchers of inhibition rules are parsed at load; a bad one is refused naming its place', () => {
    const c = alerterConfigSchema.parse({ ...base, routing: { silences: {}, inhibitRules: [{ sourceMatchers: ['alertname="pcs-off"'], targetMatchers: ['rack=~"r.*"'], equal: ['rack'] }] } });
    expect(c.routing?.silences).toEqual({ topic: 'busbar.alert-silences.v1' });
    expect(alerterConfigSchema.safeParse({ ...base, routing: { repeatIntervalMs: 1000 } }).error?.issues[0]?.path).toEqual(['routing', 'repeatIntervalMs']); // at least 1 min
    expect(c.routing?.inhibitRules[0]?.targetMatchers[0]).toMatchObject({ name: 'rack', op: '=~', value: 'r.*' });
    const bad = alerterConfigSchema.safeParse({ ...base, routing: { inhibitRules: [{ sourceMatchers: ['alertname="pcs-off"'], targetMatchers: ['rack=~"("'] }] } });
    expect(bad.error?.issues[0]?.path).toEqual(['routing', 'inhibitRules', 0, 'targetMatchers', 0]);
    expect(bad.error?.issues[0]?.message).toMatch(/regular expression does not compile/);
    expect(alerterConfigSchema.safeParse({ ...base, routing: { silence: {} } }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['routing'] });
  });

  it('routing: groupBy takes label names or ["..."]; group_wait and group_interval default to 30 s and 5 min; absent groupBy means no grouping', () => {
    const c = alerterConfigSchema.parse({ ...base, routing: { groupBy: ['rack', 'alertname'] } });
    expect(c.routing).toMatchObject({ groupBy: ['rack', 'alertname'], groupWaitMs: 30_000, groupIntervalMs: 300_000 });
    expect(alerterConfigSchema.parse({ ...base, routing: { groupBy: ['...'], groupWaitMs: 0, groupIntervalMs: 4000 } }).routing).toMatchObject({ groupBy: ['...'], groupWaitMs: 0, groupIntervalMs: 4000 });
    expect(alerterConfigSchema.parse({ ...base, routing: {} }).routing?.groupBy).toBeUndefined();
    expect(alerterConfigSchema.safeParse({ ...base, routing: { groupBy: ['rack-id'] } }).error?.issues[0]?.path).toEqual(['routing', 'groupBy', 0]);
    expect(alerterConfigSchema.safeParse({ ...base, routing: { groupBy: [] } }).error?.issues[0]?.path).toEqual(['routing', 'groupBy']);
    expect(alerterConfigSchema.safeParse({ ...base, routing: { groupBy: ['rack'], groupIntervalMs: -1 } }).error?.issues[0]?.path).toEqual(['routing', 'groupIntervalMs']);
    expect(alerterConfigSchema.safeParse({ ...base, routing: { group_by: ['rack'] } }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['routing'] });
  });

  it('routing: routes and default receivers must name configured channels', () => {
    const channels = { ...base, email: { smtp: { host: 'smtp.lab.test' }, from: 'busbar@lab.test', to: ['oncall@lab.test'] }, pagerduty: [{ routingKeyFile: 'k' }] };
    const ok = alerterConfigSchema.parse({ ...channels, routing: { routes: [{ matchers: ['rack="r1"'], receivers: ['pagerduty-1'] }], defaultReceivers: ['email'] } });
    expect(ok.routing?.routes[0]).toMatchObject({ receivers: ['pagerduty-1'], continue: false });
    const bad = alerterConfigSchema.safeParse({ ...channels, routing: { routes: [{ matchers: ['rack="r1"'], receivers: ['email', 'webhook-1'] }] } });
    expect(bad.error?.issues.map((i) => [i.path, i.message])).toEqual([[['routing', 'routes', 0, 'receivers', 1], 'no receiver webhook-1: the configured ones are email, pagerduty-1']]);
  });

  it('names the signal of each rule kind as its engine does (the ACKNOWLEDGED Alert and Alertmanager re-sends carry it)', () => {
    const c = alerterConfigSchema.parse({
      ...base,
      rules: [
        { id: 't', signal: 'temperature_c', critical: 60, clear: 50 },
        { type: 'rate_of_change', id: 'r', signal: 'temperature_c', per: 'min', windowMs: 60_000, critical: 5, clear: 1 },
        { type: 'no_data', id: 'n', timeoutMs: 60_000 },
        { type: 'disconnect', id: 'd', forMs: 0 },
      ],
    });
    expect(['t', 'r', 'n', 'd', 'unknown'].map((id) => signalOfRule(c, id))).toEqual(['temperature_c', 'temperature_c_per_min', 'staleness_s', 'disconnected_s', undefined]);
  });

  it('names the state topic after the group by default, or as configured', () => {
    expect(stateTopicOf(alerterConfigSchema.parse(base))).toBe('busbar.alerter-state.busbar-alerter.v1');
    expect(stateTopicOf(alerterConfigSchema.parse({ ...base, groupId: 'lab-a' }))).toBe('busbar.alerter-state.lab-a.v1');
    expect(stateTopicOf(alerterConfigSchema.parse({ ...base, groupId: 'lab a/1', state: { topic: 'lab-a.alerter-state' } }))).toBe('lab-a.alerter-state');
  });

  it('asks for state.topic when the group id cannot name a topic, and refuses a bad topic name', () => {
    const noTopic = alerterConfigSchema.safeParse({ ...base, groupId: 'lab a/1' });
    expect(noTopic.success).toBe(false);
    expect(noTopic.error?.issues.map((i) => i.path.join('.'))).toEqual(['state.topic']);
    const bad = alerterConfigSchema.safeParse({ ...base, state: { topic: 'has space' } });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['state.topic']);
  });

  describe('rules', () => {
    const parse = (rules: unknown[]) => alerterConfigSchema.safeParse({ ...base, rules });
    const issues = (rules: unknown[]) => parse(rules).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

    it('reads a rule without type as a threshold rule, as before', () => {
      const c = alerterConfigSchema.parse(base);
      expect(c.rules[0]).toMatchObject({ type: 'threshold', id: 'psu-temp', devices: ['*'], direction: 'above', forMs: 0 });
      expect(readsDeviceEvents(c)).toBe(false);
    });

    it('takes every rule type with its defaults and builds one engine each, in order', () => {
      const c = alerterConfigSchema.parse({ ...base, rules: [
        { type: 'rate_of_change', id: 'heating', signal: 'temperature_c', per: 'min', windowMs: 60_000, critical: 1, clear: 0.5, when: { states: { status: ['Charge'] } } },
        { type: 'no_data', id: 'silent', devices: ['arbin-*'], timeoutMs: 30_000 },
        { type: 'disconnect', id: 'down', forMs: 30_000 },
        { type: 'device_event', id: 'rig-safe', fire: { kinds: ['STATE_CHANGE'], states: ['safe'] }, clear: { states: ['normal'] }, perChannel: false },
      ] });
      expect(c.rules.map((r) => r.type)).toEqual(['rate_of_change', 'no_data', 'disconnect', 'device_event']);
      expect(c.rules[1]).toMatchObject({ perChannel: false, severity: 'CRITICAL' });
      expect(c.rules[3]).toMatchObject({ signal: 'device_event', severity: 'CRITICAL', forMs: 0 });
      expect(enginesOf(c).map((e) => [e.rule.id, e.input, e.timed])).toEqual([['heating', 'readings', false], ['silent', 'readings', true], ['down', 'events', true], ['rig-safe', 'events', false]]);
      expect(readsDeviceEvents(c)).toBe(true);
    });

    it('names the field of a bad rule: unknown type, unknown key, missing timing, bounds against hysteresis', () => {
      expect(issues([{ type: 'deadman', id: 'x', timeoutMs: 1000 }])).toEqual(['rules.0.type: type must be one of threshold, rate_of_change, no_data, disconnect, device_event']);
      expect(issues([{ type: 'no_data', id: 'x', timeoutMs: 1000, timeout: 5 }])).toEqual(['rules.0: Unrecognized key: "timeout"']);
      expect(issues([{ type: 'no_data', id: 'x' }])).toEqual(['rules.0.timeoutMs: Invalid input: expected number, received undefined']);
      expect(issues([{ type: 'rate_of_change', id: 'x', signal: 'temperature_c', windowMs: 60_000, critical: 1, clear: 2 }])).toEqual(['rules.0.clear: must be ≤ the lowest bound for direction above (hysteresis)']);
      expect(issues([{ type: 'rate_of_change', id: 'x', signal: 'temperature_c', windowMs: 10, critical: 1, clear: 0 }])).toEqual(['rules.0.windowMs: Too small: expected number to be >=1000']);
    });

    it('refuses a device-event rule that could never resolve, or matches everything', () => {
      expect(issues([{ type: 'device_event', id: 'x', fire: { kinds: ['FAULT'] } }])).toEqual(['rules.0.clear: give clear, quietMs or both: otherwise the alert never resolves']);
      expect(issues([{ type: 'device_event', id: 'x', fire: {}, quietMs: 60_000 }])).toEqual(['rules.0.fire: give at least one of kinds, states, previousStates, errorCodes, details']);
      expect(issues([{ type: 'device_event', id: 'x', fire: { kinds: ['BROKEN'] }, quietMs: 60_000 }])[0]).toMatch(/^rules\.0\.fire\.kinds\.0: /);
    });

    it('refuses an empty scope and a duplicate id across types', () => {
      expect(issues([{ id: 'x', signal: 'temperature_c', critical: 1, clear: 0, when: {} }])).toEqual(['rules.0.when: give recordTypes, states, values or several']);
      expect(issues([{ id: 'x', signal: 'temperature_c', critical: 1, clear: 0, when: { values: { current_a: {} } } }])).toEqual(['rules.0.when.values.current_a: give above, below or both']);
      expect(issues([{ id: 'x', signal: 'temperature_c', critical: 1, clear: 0, when: { values: { current_a: { above: 1, below: 0 } } } }])).toEqual(['rules.0.when.values.current_a: above must be < below (an empty range never matches)']);
      expect(issues([{ id: 'x', signal: 'temperature_c', critical: 1, clear: 0 }, { type: 'no_data', id: 'x', timeoutMs: 1000 }])).toEqual(['rules.1.id: duplicate rule id x']);
    });
  });
});

describe('alerter > config > templates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-tpl-'));
  writeFileSync(join(dir, 'body.hbs'), '{"text": {{json alerts.0.message}}, "rack": {{json commonLabels.rack}} }\n');
  writeFileSync(join(dir, 'bad-json.hbs'), '{"text": "{{alerts.0.message}}"}');
  writeFileSync(join(dir, 'subject.hbs'), '[{{upper status}}] {{alerts.0.device}}\n');
  const hook = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'chat', url: 'https://hooks.lab.test/x', ...extra });
  const load = (extra: Record<string, unknown>): ReturnType<typeof resolveAlerterSecrets> => resolveAlerterSecrets(alerterConfigSchema.parse({ ...base, ...extra }), dir);
  const failure = (extra: Record<string, unknown>): unknown => {
    try {
      load(extra);
    } catch (err) {
      return err;
    }
    throw new Error('loaded');
  };

  it('webhooks[].templateFile is read relative to the configuration and kept as the hook\'s template; inline template too; none: no template key', () => {
    const c = load({ webhooks: [hook({ templateFile: 'body.hbs', generatorUrl: 'https://g.lab/d?d={device}' }), hook({ name: 'inline', template: '{"a": {{json status}} }' }), hook({ name: 'plain' })], routing: { deviceLabels: { 'sample-*': { rack: 'r9' } } } });
    expect(c.webhooks[0]).toMatchObject({ name: 'chat', template: '{"text": {{json alerts.0.message}}, "rack": {{json commonLabels.rack}} }\n', generatorUrl: 'https://g.lab/d?d={device}' });
    expect(c.webhooks[0]).not.toHaveProperty('templateFile');
    expect(c.webhooks[1]).toMatchObject({ template: '{"a": {{json status}} }' });
    expect(c.webhooks[2]).toEqual({ name: 'plain', url: 'https://hooks.lab.test/x', headers: {}, timeoutMs: 5000 });
    expect(load(c as unknown as Record<string, unknown>).webhooks).toEqual(c.webhooks); // idempotent
  });

  it('a webhook template that does not render JSON is refused at load, naming the hook, the file and the JSON error', () => {
    const err = failure({ webhooks: [hook({ templateFile: 'bad-json.hbs' })] });
    expect(err).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_INVALID', message: expect.stringMatching(/^webhook-chat \(webhooks\.0\.templateFile bad-json\.hbs\): the template did not render JSON \(.+\)/) });
  });

  it('a template that does not compile, a missing file, template and templateFile together: refused naming the field', () => {
    expect(failure({ webhooks: [hook({ template: '{"a": {{#if status}}1}' })] })).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_INVALID', message: expect.stringMatching(/^webhook-chat \(webhooks\.0\.template\): the template does not compile: Parse error on line 1/) });
    expect(failure({ webhooks: [hook({ templateFile: 'nope.hbs' })] })).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_INVALID', message: expect.stringMatching(/^webhooks\.0\.templateFile: cannot read template file .*nope\.hbs \(ENOENT\)$/) });
    expect(alerterConfigSchema.safeParse({ ...base, webhooks: [hook({ template: '{}', templateFile: 'body.hbs' })] }).error?.issues[0]?.path).toEqual(['webhooks', 0, 'templateFile']);
    const email = { smtp: { host: 'smtp.lab.test' }, from: 'busbar@lab.test', to: ['oncall@lab.test'] };
    expect(alerterConfigSchema.safeParse({ ...base, email: { ...email, templates: { subject: 'x', subjectFile: 'subject.hbs' } } }).error?.issues[0]?.path).toEqual(['email', 'templates', 'subjectFile']);
    expect(failure({ email: { ...email, templates: { text: '{{#each alerts}}' } } })).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_INVALID', message: expect.stringMatching(/^email \(email\.templates\.text\): the template does not compile/) });
  });

  it('email.templates: subjectFile read relative to the configuration, inline text kept (no JSON check for mail), absent ones stay absent', () => {
    const email = { smtp: { host: 'smtp.lab.test' }, from: 'busbar@lab.test', to: ['oncall@lab.test'] };
    const c = load({ email: { ...email, templates: { subjectFile: 'subject.hbs', text: 'Alerts: {{alerts.length}}' } } });
    expect(c.email?.templates).toEqual({ subject: '[{{upper status}}] {{alerts.0.device}}\n', text: 'Alerts: {{alerts.length}}' });
    expect(load({ email }).email).not.toHaveProperty('templates');
  });
});
