import { describe, expect, it } from 'vitest';
import { redactWebhookUrl } from '../../src/notify/webhook.js';

describe('alerter > notify > webhook > redactWebhookUrl', () => {
  it.each([
    ['https://hooks.slack.com/services/T0/B0/xyz', 'https://hooks.slack.com/…'],
    ['https://events.pagerduty.com/v2/enqueue?routing_key=abc', 'https://events.pagerduty.com/…'],
    ['http://127.0.0.1:8080/hook#frag', 'http://127.0.0.1:8080/…'],
    ['http://user:pw@relay.lab', 'http://relay.lab/…'],
    ['http://relay.lab:8080/', 'http://relay.lab:8080'],
    ['not a url', '<invalid URL>'],
  ])('%s → %s', (input, expected) => {
    expect(redactWebhookUrl(input)).toBe(expected);
  });
});
