import { spawnSync } from 'node:child_process';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSharedServers } from '../../src/shared/server.js';
import type { SharedServers } from '../../src/shared/server.js';
import type { SharedSmtp, WireMail } from '../../src/shared/protocol.js';

// The control endpoint itself, started here rather than by the global setup so its counts start
// at zero. Only SMTP is asked for: starting Kafka or InfluxDB is what the other suites exercise.
describe('Testkit > shared > control endpoint', () => {
  let shared: SharedServers;
  beforeAll(async () => {
    shared = await startSharedServers();
  });
  afterAll(() => shared?.stop());

  const call = async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${shared.info.controlUrl}${path}`, { method });
    return { status: res.status, body: (await res.json()) as T };
  };

  it('keeps the run\'s file lock: shared files together, an exclusive one alone, granted through the long poll', async () => {
    expect((await call<{ granted: boolean }>('POST', '/lock?ticket=a&mode=shared')).body).toEqual({ granted: true });
    expect((await call<{ granted: boolean }>('POST', '/lock?ticket=b')).body).toEqual({ granted: true });
    let answered = false;
    const exclusive = call<{ granted: boolean }>('POST', '/lock?ticket=x&mode=exclusive').then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false); // a and b still run
    await call('POST', '/unlock?ticket=a');
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false); // b still runs
    await call('POST', '/unlock?ticket=b');
    expect((await exclusive).body).toEqual({ granted: true });
    await call('POST', '/unlock?ticket=x');
    // a worker that died holding the lock (its pid is gone) does not keep it: the next request gives it back
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadTicket = `worker-${dead.stdout}-0000`;
    expect((await call<{ granted: boolean }>('POST', `/lock?ticket=${deadTicket}&mode=exclusive`)).body).toEqual({ granted: true });
    expect((await call<{ granted: boolean }>('POST', '/lock?ticket=d')).body).toEqual({ granted: true });
    await call('POST', '/unlock?ticket=d');
    expect((await call('POST', '/lock?mode=shared')).status).toBe(500); // no ticket
    expect((await call<{ error: string }>('POST', '/lock?ticket=c&mode=alone')).body.error).toMatch(/mode alone is not shared or exclusive/);
  });

  it('listens on 127.0.0.1 and starts nothing before it is asked', async () => {
    expect(shared.info.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(shared.starts()).toEqual({ kafka: 0, influx: 0, smtp: 0 });
    expect((await call('GET', '/starts')).body).toEqual({ kafka: 0, influx: 0, smtp: 0 });
  });

  it('starts a server on the first request only and answers the same address afterwards', async () => {
    const [a, b] = await Promise.all([call<SharedSmtp>('POST', '/smtp'), call<SharedSmtp>('POST', '/smtp')]);
    const c = await call<SharedSmtp>('POST', '/smtp');
    expect(a.status).toBe(200);
    expect(a.body.host).toBe('127.0.0.1');
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    expect(shared.starts()).toEqual({ kafka: 0, influx: 0, smtp: 1 });
  });

  it('lists mail by recipient, case-insensitively, with the envelope, parsed fields and attachments', async () => {
    const { body: smtp } = await call<SharedSmtp>('POST', '/smtp');
    const t = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'alerter@busbar.test', to: 'a@lab.test', subject: 'for a', text: 'A', attachments: [{ filename: 'x.json', content: '{"x":1}' }] });
    await t.sendMail({ from: 'alerter@busbar.test', to: ['b@lab.test', 'c@lab.test'], subject: 'for b and c', text: 'B' });
    const forA = (await call<WireMail[]>('GET', `/smtp/messages?to=${encodeURIComponent('A@lab.test')}`)).body;
    expect(forA.map((m) => [m.subject, m.text?.trim(), m.mailFrom, m.rcptTo])).toEqual([['for a', 'A', 'alerter@busbar.test', ['a@lab.test']]]);
    expect(forA[0]!.attachments.map((a) => [a.filename, Buffer.from(a.contentBase64, 'base64').toString()])).toEqual([['x.json', '{"x":1}']]);
    expect((await call<WireMail[]>('GET', '/smtp/messages?to=c%40lab.test')).body.map((m) => m.subject)).toEqual(['for b and c']);
    expect((await call<WireMail[]>('GET', '/smtp/messages?to=nobody%40lab.test')).body).toEqual([]);
  });

  it('answers 404 with the route for an unknown one', async () => {
    const r = await call<{ error: string }>('POST', '/postgres');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('no route POST /postgres');
  });

  it('stops what it started and its endpoint; stop() again is a no-op', async () => {
    const { body: smtp } = await call<SharedSmtp>('POST', '/smtp');
    await shared.stop();
    await shared.stop();
    await expect(fetch(`${shared.info.controlUrl}/starts`)).rejects.toThrow();
    const t = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true, connectionTimeout: 2_000 });
    await expect(t.sendMail({ from: 'a@busbar.test', to: 'b@lab.test', subject: 'late', text: 'x' })).rejects.toThrow();
  });
});
