import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp } from '../src/index.js';
import { TestkitError } from '../src/errors.js';
import type { SmtpHandle } from '../src/index.js';

describe('Testkit > SMTP', () => {
  let smtp: SmtpHandle;
  let saveDir: string;
  beforeAll(async () => {
    saveDir = mkdtempSync(join(tmpdir(), 'busbar-smtp-test-'));
    smtp = await startSmtp({ saveDir });
  });
  afterAll(async () => {
    await smtp?.stop();
    rmSync(saveDir, { recursive: true, force: true });
  });

  const transport = (): Transporter =>
    nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });

  it('receives a message sent by nodemailer, parsed, with its envelope', async () => {
    const waiting = smtp.waitFor((m) => m.subject === 'Cell 7 over temperature');
    await transport().sendMail({
      from: 'alerter@busbar.test',
      to: ['ops@lab.test', 'oncall@lab.test'],
      subject: 'Cell 7 over temperature',
      text: 'T = 61.5 °C > 60 °C',
      attachments: [{ filename: 'reading.json', content: '{"t":61.5}' }],
    });
    const mail = await waiting;
    expect(smtp.host).toBe('127.0.0.1');
    expect(mail.from?.text).toBe('alerter@busbar.test');
    expect(mail.text?.trim()).toBe('T = 61.5 °C > 60 °C');
    expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['reading.json', '{"t":61.5}']]);
    const rec = smtp.received.find((r) => r.mail === mail);
    expect(rec?.mailFrom).toBe('alerter@busbar.test');
    expect(rec?.rcptTo).toEqual(['ops@lab.test', 'oncall@lab.test']);
    expect(readdirSync(saveDir)).toContain('1.eml');
    expect(readFileSync(join(saveDir, '1.eml'), 'utf8')).toContain('Subject: Cell 7 over temperature');
  });

  it('accepts any credentials when the client authenticates', async () => {
    const t = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true, auth: { user: 'u', pass: 'p' } });
    await t.sendMail({ from: 'a@busbar.test', to: 'b@lab.test', subject: 'with auth', text: 'x' });
    expect((await smtp.waitFor((m) => m.subject === 'with auth')).subject).toBe('with auth');
  });

  it('waitFor rejects with a TestkitError naming the subjects seen', async () => {
    const err = await smtp.waitFor((m) => m.subject === 'never', 200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestkitError);
    expect((err as TestkitError).code).toBe('BB_TESTKIT_START_TIMEOUT');
    expect((err as Error).message).toContain('"Cell 7 over temperature"');
  });
});
