import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startAlertmanager } from '../src/index.js';

describe('Testkit > Alertmanager', () => {
  it('starts on 127.0.0.1 without cluster, takes an alert through API v2, stops and deletes its directory', async () => {
    const h = await startAlertmanager({ config: 'route:\n  receiver: none\nreceivers:\n  - name: none\n' });
    try {
      expect(h.url).toBe(`http://127.0.0.1:${h.port}`);
      const status = (await (await fetch(`${h.url}/api/v2/status`)).json()) as { cluster: { status: string } };
      expect(status.cluster.status).toBe('disabled');
      const posted = await fetch(`${h.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: 'x', device: 'd1' } }]) });
      expect(posted.status).toBe(200);
      const alerts = (await (await fetch(`${h.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
      expect(alerts.map((a) => a.labels['device'])).toEqual(['d1']);
    } finally {
      await h.dispose();
    }
    expect(h.running()).toBe(false);
    expect(existsSync(h.dir)).toBe(false);
  });

  it('refuses a configuration Alertmanager rejects, with its log', async () => {
    await expect(startAlertmanager({ config: 'route:\n  receiver: missing\nreceivers: []\n' })).rejects.toMatchObject({ code: 'BB_TESTKIT_START_FAILED', message: expect.stringMatching(/missing/) });
  });
});
