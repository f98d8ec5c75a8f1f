/**
 * Templates, pure: the rendering context (Alertmanager's shape, the alerter's labels), the helpers,
 * the JSON check at load, a render failure at send (not retriable), and the defaults — without a
 * template the mail and the webhook bodies are exactly today's (built here by hand, not by the
 * production formatter).
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { isBusbarError } from '@busbar/core';
import { toAlert } from '../../src/alert.js';
import { groupKeyOf, singleAlertGroup } from '../../src/notify/group.js';
import type { AlertGroup } from '../../src/notify/group.js';
import { checkTemplate, compileTemplate, groupRenderer, templateContext } from '../../src/notify/template.js';
import { composeMail } from '../../src/notify/email.js';
import { webhookBody, webhookGroupBody } from '../../src/notify/webhook.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';

const rule: ThresholdRule = { id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', warning: 45, critical: 55, clear: 40, forMs: 0 };
const firing = toAlert({ rule, signal: 'temperature_c', deviceId: 'cell-r3-07', channel: 2, seriesKey: 'cell-temp|cell-r3-07|2', episode: 1, episodeStartMs: 1000, state: 'FIRING', severity: 'CRITICAL', value: 57.25, threshold: 55, atMs: Date.UTC(2026, 11, 3, 10, 0, 0) });
const resolved: Alert = { ...firing, state: 'RESOLVED', value: 39.5, timestamp: new Date(Date.UTC(2026, 11, 3, 10, 5, 0)), message: 'RESOLVED: cell-r3-07 channel 2 temperature_c = 39.5 (rule cell-temp)' };
const other = toAlert({ rule, signal: 'temperature_c', deviceId: 'cell-r3-08', channel: null, seriesKey: 'cell-temp|cell-r3-08', episode: 1, episodeStartMs: 1000, state: 'FIRING', severity: 'WARNING', value: 47, threshold: 45, atMs: Date.UTC(2026, 11, 3, 10, 1, 0) });
const labels = { labels: { lab: 'b2' }, deviceLabels: { 'cell-r3-*': { rack: 'r3' } } };
const rack: AlertGroup = { key: groupKeyOf({ rack: 'r3' }), groupLabels: { rack: 'r3' }, alerts: [firing, { ...other, state: 'RESOLVED' }] };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('alerter > notify > template > templateContext', () => {
  it('a single alert: Alertmanager fields (status, labels, annotations, startsAt/endsAt, generatorUrl) and Busbar fields', () => {
    const c = templateContext(singleAlertGroup(firing), { receiver: 'webhook-slack', labels, generatorUrl: 'https://grafana.lab/d/a?var-device={device}&ch={channel}' });
    expect(c).toMatchObject({ receiver: 'webhook-slack', status: 'firing', groupKey: `{alert_id="${firing.alert_id}"}`, groupLabels: { alert_id: firing.alert_id }, maxSeverity: 'critical' });
    expect(c.alerts).toEqual([{
      status: 'firing', state: 'FIRING',
      labels: { lab: 'b2', rack: 'r3', alertname: 'cell-temp', rule: 'cell-temp', device: 'cell-r3-07', channel: '2', signal: 'temperature_c', severity: 'critical', alert_id: firing.alert_id },
      annotations: { summary: firing.message, value: '57.25', threshold: '55' },
      startsAt: '2026-12-03T10:00:00.000Z', endsAt: null, timestamp: '2026-12-03T10:00:00.000Z',
      alertId: firing.alert_id, rule: 'cell-temp', device: 'cell-r3-07', channel: 2, signal: 'temperature_c', severity: 'critical', value: 57.25, threshold: 55, message: firing.message,
      generatorUrl: 'https://grafana.lab/d/a?var-device=cell-r3-07&ch=2',
    }]);
    expect(c.commonLabels).toEqual(c.alerts[0]!.labels);
    expect(c.firingAlerts).toHaveLength(1);
    expect(c.resolvedAlerts).toHaveLength(0);
  });

  it('without routing labels: the alert\'s own label set only; no generatorUrl → null; RESOLVED has endsAt', () => {
    const c = templateContext(singleAlertGroup(resolved), { receiver: 'email' });
    expect(c.status).toBe('resolved');
    expect(c.alerts[0]).toMatchObject({ status: 'resolved', state: 'RESOLVED', endsAt: '2026-12-03T10:05:00.000Z', generatorUrl: null, annotations: { summary: resolved.message, value: '39.5', threshold: '55' } });
    expect(Object.keys(c.alerts[0]!.labels).sort()).toEqual(['alert_id', 'alertname', 'channel', 'device', 'rule', 'severity', 'signal']);
  });

  it('a group: commonLabels are the labels all alerts share, firing/resolved split, highest severity', () => {
    const c = templateContext(rack, { receiver: 'email', labels });
    expect(c).toMatchObject({ status: 'firing', groupKey: '{rack="r3"}', groupLabels: { rack: 'r3' }, maxSeverity: 'critical' });
    expect(c.commonLabels).toEqual({ lab: 'b2', rack: 'r3', alertname: 'cell-temp', rule: 'cell-temp', signal: 'temperature_c' });
    expect(c.commonAnnotations).toEqual({}); // summaries, values and bounds differ
    expect(templateContext({ ...rack, alerts: [firing, { ...firing, alert_id: 'x' }] }, { receiver: 'email' }).commonAnnotations).toEqual({ summary: firing.message, value: '57.25', threshold: '55' });
    expect(c.firingAlerts.map((a) => a.device)).toEqual(['cell-r3-07']);
    expect(c.resolvedAlerts.map((a) => a.device)).toEqual(['cell-r3-08']);
    expect(templateContext({ ...rack, alerts: [other] }, { receiver: 'email' }).maxSeverity).toBe('warning');
  });
});

describe('alerter > notify > template > helpers and escaping', () => {
  const ctx = templateContext(singleAlertGroup({ ...firing, message: 'a "quoted" \\ <b>&</b>\nline 2' }), { receiver: 'x' });
  const render = (t: string, kind: 'text' | 'json' = 'text'): string => compileTemplate(t, 'test', kind)(ctx);

  it('nothing is HTML-escaped (plain-text mails, JSON bodies)', () => {
    expect(render('{{alerts.0.message}}')).toBe('a "quoted" \\ <b>&</b>\nline 2');
  });

  it('json: any value as JSON, a block as one JSON string, undefined as null', () => {
    expect(JSON.parse(render('{{json alerts.0.message}}', 'json'))).toBe('a "quoted" \\ <b>&</b>\nline 2');
    expect(JSON.parse(render('{{json alerts.0.labels}}', 'json'))).toMatchObject({ device: 'cell-r3-07', channel: '2' });
    expect(JSON.parse(render('{{#json}}{{alerts.length}} × {{alerts.0.message}}{{/json}}', 'json'))).toBe('1 × a "quoted" \\ <b>&</b>\nline 2');
    expect(render('{{#json}}{{alerts.length}}{{/json}}')).toBe('"1"'); // a block of one expression is still a string
    expect(render('{{json nothing}}')).toBe('null');
  });

  it('truncate cuts to n characters (code points) ending with …; limit, upper, lower, eq, escapeMrkdwn', () => {
    expect(render('{{truncate "abcdef" 4}}|{{truncate "abc" 4}}|{{#truncate 3}}°C°C°C{{/truncate}}')).toBe('abc…|abc|°C…');
    expect([...render(`{{#truncate 130}}${'x'.repeat(300)}{{/truncate}}`)]).toHaveLength(130);
    expect(render('{{#each (limit alerts 0)}}x{{/each}}|{{upper alerts.0.severity}}|{{lower "AB"}}|{{#if (eq alerts.0.severity "critical")}}P1{{else}}P3{{/if}}|{{#each (limit alerts 5)}}{{device}}{{/each}}')).toBe('|CRITICAL|ab|P1|cell-r3-07');
    expect(render('{{escapeMrkdwn alerts.0.message}}')).toBe('a "quoted" \\ &lt;b&gt;&amp;&lt;/b&gt;\nline 2');
  });
});

describe('alerter > notify > template > errors', () => {
  it('a template that does not compile: BB_ALERTER_TEMPLATE_INVALID naming where and the line', () => {
    const err = thrown(() => compileTemplate('{"a": {{#each alerts}}1', 'webhook-x (webhooks.0.template)', 'json'));
    expect(isBusbarError(err) && err.code).toBe('BB_ALERTER_TEMPLATE_INVALID');
    expect((err as Error).message).toMatch(/^webhook-x \(webhooks\.0\.template\): the template does not compile: .*line 1/s);
  });

  it('the JSON check at load: a string put in without {{json}} is refused naming the hook and the JSON error; with json it passes', () => {
    const err = thrown(() => checkTemplate('{"text": "{{alerts.0.message}}"}', 'webhook-slack (webhooks.1.templateFile slack.hbs)', 'json'));
    expect(isBusbarError(err) && err.code).toBe('BB_ALERTER_TEMPLATE_INVALID');
    expect((err as Error).message).toMatch(/^webhook-slack \(webhooks\.1\.templateFile slack\.hbs\): the template did not render JSON \(.*(JSON|position|string).*\); put strings in with \{\{json …\}\} — rendering a sample FIRING alert$/s);
    expect(() => checkTemplate('{"text": {{json alerts.0.message}}, "n": {{alerts.length}} }', 'webhook-slack', 'json')).not.toThrow();
    // `}}}` closes a triple mustache: a JSON brace right after a mustache needs a space (docs/alerting.md)
    expect(thrown(() => checkTemplate('{"n": {{alerts.length}}}', 'webhook-slack', 'json'))).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_INVALID', message: expect.stringMatching(/^webhook-slack: the template does not compile/) });
    // a trailing comma after each alert: fails only for the sample group of two
    const comma = thrown(() => checkTemplate('[{{#each alerts}}{{json alertId}}{{#if @last}}{{else}},{{/if}}{{/each}}{{#if alerts.[1]}},{{/if}}]', 'webhook-x', 'json'));
    expect((comma as Error).message).toMatch(/rendering a sample group of two alerts$/);
    // text templates (mail) need not be JSON
    expect(() => checkTemplate('[{{upper status}}] {{alerts.0.message}}', 'email (email.templates.subject)', 'text')).not.toThrow();
  });

  it('a render failure at send: BB_ALERTER_TEMPLATE_RENDER_FAILED, not retriable, nothing returned', () => {
    // passes the load check (no ACKNOWLEDGED sample), fails for an ACKNOWLEDGED alert
    const template = '{{#if (eq alerts.0.state "ACKNOWLEDGED")}}not json{{else}}{"ok":true}{{/if}}';
    expect(() => checkTemplate(template, 'webhook-x', 'json')).not.toThrow();
    const err = thrown(() => webhookBody({ url: 'http://127.0.0.1:9/unused', timeoutMs: 1000, template, channel: 'webhook-x' }, { ...firing, state: 'ACKNOWLEDGED' }));
    expect(isBusbarError(err) && { code: err.code, retriable: err.retriable }).toEqual({ code: 'BB_ALERTER_TEMPLATE_RENDER_FAILED', retriable: false });
    expect((err as Error).message).toMatch(/^webhook-x \(template\): the template did not render JSON/);
    // an unknown helper fails when it is reached: here only for an ACKNOWLEDGED alert
    const mailTemplate = '{{#if (eq alerts.0.state "ACKNOWLEDGED")}}{{nohelper 1}}{{/if}}ok';
    expect(() => checkTemplate(mailTemplate, 'email (email.templates.text)', 'text')).not.toThrow();
    const mail = groupRenderer(mailTemplate, 'email (email.templates.text)', 'text', { receiver: 'email' });
    expect(composeMail(singleAlertGroup(firing), { text: mail }).text).toBe('ok');
    const mailErr = thrown(() => composeMail(singleAlertGroup({ ...firing, state: 'ACKNOWLEDGED' }), { text: mail }));
    expect(isBusbarError(mailErr) && { code: mailErr.code, retriable: mailErr.retriable }).toEqual({ code: 'BB_ALERTER_TEMPLATE_RENDER_FAILED', retriable: false });
  });
});

describe('alerter > notify > defaults without a template (today\'s output)', () => {
  it('the mail of one alert: the subject and text of formatAlertMail, byte for byte', () => {
    expect(composeMail(singleAlertGroup(firing))).toEqual({
      subject: '[Busbar CRITICAL] cell-r3-07 channel 2: temperature_c = 57.25 (bound 55)',
      text: [firing.message, '', 'Device:    cell-r3-07', 'Channel:   2', 'Signal:    temperature_c', 'Value:     57.25', 'Bound:     55', 'Severity:  CRITICAL', 'State:     FIRING', 'Time:      2026-12-03T10:00:00.000Z', 'Rule:      cell-temp', `Alert id:  ${firing.alert_id}`].join('\n'),
    });
    expect(composeMail(singleAlertGroup(resolved)).subject).toBe('[Busbar RESOLVED] cell-r3-07 channel 2: temperature_c = 39.5 back past 55');
  });

  it('a subject template alone keeps the default text, and its line breaks become spaces', () => {
    const subject = groupRenderer('[{{upper status}}]\n  {{#each alerts}}{{device}} {{/each}}\n', 'email', 'text', { receiver: 'email' });
    const mail = composeMail(rack, { subject });
    expect(mail.subject).toBe('[FIRING] cell-r3-07 cell-r3-08');
    expect(mail.text).toMatch(/^2 alerts \(1 firing, 1 resolved\), grouped by rack=r3; status firing\n\n/);
  });

  it('the webhook bodies: the Alert record and the group payload, as JSON', () => {
    const hook = { url: 'http://127.0.0.1:9/unused', timeoutMs: 1000 };
    const record = (a: Alert): Record<string, unknown> => ({ alert_id: a.alert_id, rule: a.rule, device_id: a.device_id, channel: a.channel, signal: a.signal, severity: a.severity, state: a.state, value: a.value, threshold: a.threshold, timestamp: a.timestamp.toISOString(), message: a.message });
    expect(JSON.parse(webhookBody(hook, firing))).toEqual(record(firing));
    expect(JSON.parse(webhookGroupBody(hook, rack))).toEqual({ version: 'busbar/1', groupKey: '{rack="r3"}', status: 'firing', groupLabels: { rack: 'r3' }, alerts: rack.alerts.map(record) });
  });

  it('a webhook template renders the body for one alert and for a group', () => {
    const hook = { url: 'http://127.0.0.1:9/unused', timeoutMs: 1000, channel: 'webhook-x', labels, template: '{"k": {{json groupKey}}, "racks": [{{#each alerts}}{{#unless @first}},{{/unless}}{{json labels.rack}}{{/each}}]}' };
    expect(JSON.parse(webhookBody(hook, firing))).toEqual({ k: `{alert_id="${firing.alert_id}"}`, racks: ['r3'] });
    expect(JSON.parse(webhookGroupBody(hook, rack))).toEqual({ k: '{rack="r3"}', racks: ['r3', 'r3'] });
  });
});
