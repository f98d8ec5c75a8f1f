/**
 * Pager hooks against a local HTTP server: the configured headers (an Authorization token from a
 * file) are sent, and a failing hook's error names it by its redacted URL — neither the token in
 * its path nor a header value appears in the message.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBusbarError } from '@busbar/core';
import { toAlert } from '../../src/alert.js';
import { postWebhook } from '../../src/notify/webhook.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
const alert = toAlert({ rule, deviceId: 'psu-1', channel: null, seriesKey: 'psu-temp|psu-1', episode: 1, episodeStartMs: 1000, state: 'FIRING', severity: 'CRITICAL', value: 95, threshold: 80, atMs: 1000 });
const TOKEN = 'path-token-Vb27';
const AUTH = 'Bearer header-token-Lp44';

let server: Server;
let base: string;
const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = req.url?.includes('/down/') ? 503 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('alerter > notify > webhook (local HTTP server)', () => {
  it('POSTs the alert as JSON with the configured headers', async () => {
    await postWebhook({ url: `${base}/hooks/${TOKEN}`, headers: { Authorization: AUTH, 'X-Lab': 'north' }, timeoutMs: 2000 }, alert);
    expect(seen.at(-1)).toMatchObject({ url: `/hooks/${TOKEN}`, headers: { authorization: AUTH, 'x-lab': 'north', 'content-type': 'application/json' } });
    expect(JSON.parse(seen.at(-1)!.body)).toMatchObject({ alert_id: alert.alert_id, device_id: 'psu-1', state: 'FIRING' });
  });

  it('names a failing hook by its redacted URL (HTTP error, unreachable), never its token', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const errors: unknown[] = [];
    for (const url of [`${base}/down/${TOKEN}?key=${TOKEN}`, `http://127.0.0.1:${closedPort}/hooks/${TOKEN}`]) {
      await postWebhook({ url, headers: { Authorization: AUTH }, timeoutMs: 2000 }, alert).then(() => errors.push(new Error('delivered')), (err: unknown) => errors.push(err));
    }
    expect(errors.map((e) => isBusbarError(e) && e.code)).toEqual(['BB_ALERTER_WEBHOOK_FAILED', 'BB_ALERTER_WEBHOOK_FAILED']);
    expect((errors[0] as Error).message).toBe(`webhook ${base}/… answered HTTP 503`);
    expect((errors[1] as Error).message).toBe(`webhook http://127.0.0.1:${closedPort}/…: fetch failed (ECONNREFUSED)`);
    for (const e of errors) expect(JSON.stringify({ message: (e as Error).message, context: (e as { context?: unknown }).context })).not.toMatch(/path-token|header-token/);
  });
});
