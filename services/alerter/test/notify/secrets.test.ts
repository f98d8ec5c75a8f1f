import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBusbarError } from '@busbar/core';
import { loadAlerterConfig } from '../../src/config.js';
import { readSecretFile } from '../../src/notify/secrets.js';

const HOOK = 'https://hooks.example.test/services/T0/B0/hook-token-Kx7';
let dir: string;

/** Writes `alerter.yaml` (JSON is YAML) into a fresh folder holding the secrets, and returns its path. */
function configFile(extra: Record<string, unknown>): string {
  const file = join(dir, `alerter-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify({ kafka: { brokers: ['127.0.0.1:9092'] }, rules: [{ id: 'hot', signal: 'temperature_c', critical: 80, clear: 60 }], ...extra }));
  return file;
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('did not throw');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'busbar-alerter-secrets-'));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'hook-url'), `${HOOK}\n`);
  writeFileSync(join(dir, 'secrets', 'pager-auth'), 'Bearer pager-token-9Qw\r\n');
  writeFileSync(join(dir, 'secrets', 'smtp-password'), 'smtp-pw-3Zr');
  writeFileSync(join(dir, 'secrets', 'empty'), '\n');
});

describe('alerter > notify > secrets', () => {
  it('reads webhook URL and header values from files relative to the configuration file, dropping one trailing newline', () => {
    const c = loadAlerterConfig(configFile({ webhooks: [{ urlFile: 'secrets/hook-url', headers: { Authorization: { file: 'secrets/pager-auth' }, 'X-Lab': 'north' } }] }), {});
    expect(c.webhooks).toEqual([{ url: HOOK, headers: { Authorization: 'Bearer pager-token-9Qw', 'X-Lab': 'north' }, timeoutMs: 5000 }]);
  });

  it('reads the SMTP password from passwordFile', () => {
    const c = loadAlerterConfig(configFile({ email: { smtp: { host: 'smtp.lab.test', port: 587, requireTLS: true, user: 'alerts', passwordFile: join(dir, 'secrets', 'smtp-password') }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } }), {});
    expect(c.email?.smtp).toMatchObject({ user: 'alerts', password: 'smtp-pw-3Zr', requireTLS: true, ignoreTLS: false, rejectUnauthorized: true, secure: false });
    expect(c.email?.smtp).not.toHaveProperty('passwordFile');
  });

  it('names the field and the path of an unreadable or empty secret file, never a secret', () => {
    const missing = thrown(() => loadAlerterConfig(configFile({ webhooks: [{ url: 'https://hooks.example.test/x', headers: { Authorization: { file: 'secrets/nope' } } }] }), {}));
    expect(isBusbarError(missing) && missing.code).toBe('BB_ALERTER_SECRET_UNREADABLE');
    expect(missing.message).toBe(`webhooks.0.headers.Authorization.file: cannot read secret file ${join(dir, 'secrets', 'nope')} (ENOENT)`);
    const empty = thrown(() => loadAlerterConfig(configFile({ email: { smtp: { host: 'h', user: 'u', passwordFile: 'secrets/empty' }, from: 'a@b.c', to: ['d@e.f'] } }), {}));
    expect(empty.message).toBe(`email.smtp.passwordFile: secret file ${join(dir, 'secrets', 'empty')} is empty`);
    const notUrl = thrown(() => loadAlerterConfig(configFile({ webhooks: [{ urlFile: 'secrets/pager-auth' }] }), {}));
    expect(notUrl.code).toBe('BB_CONFIG_INVALID');
    expect(notUrl.message).toBe('webhooks.0.urlFile: the file does not hold an http(s) URL on one line');
    expect(notUrl.message).not.toContain('pager-token');
  });

  it('refuses contradictory settings, naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ webhooks: [{ url: HOOK, urlFile: 'secrets/hook-url' }] }, /webhooks\[0\]\.url: give url or urlFile \(exactly one\)/],
      [{ webhooks: [{}] }, /webhooks\[0\]\.url: give url or urlFile/],
      [{ webhooks: [{ url: HOOK, headers: { 'Bad Header': 'x' } }] }, /webhooks\[0\]\.headers\.Bad Header: Invalid key/],
      [{ email: { smtp: { host: 'h', user: 'u', password: 'p', passwordFile: 'f' }, from: 'a@b.c', to: ['d@e.f'] } }, /email\.smtp\.passwordFile: give password or passwordFile, not both/],
      [{ email: { smtp: { host: 'h', passwordFile: 'f' }, from: 'a@b.c', to: ['d@e.f'] } }, /email\.smtp\.user: a password needs a user/],
      [{ email: { smtp: { host: 'h', secure: true, requireTLS: true }, from: 'a@b.c', to: ['d@e.f'] } }, /email\.smtp\.secure: secure \(implicit TLS\) excludes requireTLS/],
      [{ email: { smtp: { host: 'h', requireTLS: true, ignoreTLS: true }, from: 'a@b.c', to: ['d@e.f'] } }, /email\.smtp\.ignoreTLS: requireTLS and ignoreTLS contradict/],
    ];
    for (const [extra, message] of cases) {
      const err = thrown(() => loadAlerterConfig(configFile(extra), {}));
      expect(err.code, JSON.stringify(extra)).toBe('BB_CONFIG_INVALID');
      expect(err.message).toMatch(message);
    }
  });

  it('readSecretFile keeps inner newlines and drops only the last one', () => {
    writeFileSync(join(dir, 'secrets', 'pem'), 'line 1\nline 2\n\n');
    expect(readSecretFile('secrets/pem', 'f', dir)).toBe('line 1\nline 2\n');
  });
});
