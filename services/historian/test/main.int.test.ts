import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
function runMain(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@busbar/source', '--import', 'tsx', 'services/historian/src/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  return { status: r.status, stderr: r.stderr };
}

describe('historian > main (serviceMain)', () => {
  it('exits 2 naming every bad field of the configuration, before connecting to anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-main-'));
    const file = join(dir, 'historian.yaml');
    writeFileSync(file, 'kafka: { brokers: ["127.0.0.1:9092"] }\ninflux: { url: "not a url", org: lab, bucket: b }\n');
    const r = runMain(['--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^busbar-historian: invalid configuration in .*historian\.yaml:/);
    expect(r.stderr).toContain('influx.url:');
    expect(r.stderr).toContain('influx.token: give token or tokenFile');
  });

  it('reads the file named by BUSBAR_CONFIG', () => {
    const r = runMain([], { BUSBAR_CONFIG: '/nonexistent/historian.yaml' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('busbar-historian: cannot read configuration file /nonexistent/historian.yaml');
  });

  it('refuses --test on a service that has no test mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-main-'));
    const file = join(dir, 'historian.yaml');
    writeFileSync(file, 'kafka: { brokers: ["127.0.0.1:9092"] }\ninflux: { url: "http://127.0.0.1:8086", org: lab, bucket: b, token: t }\n');
    const r = runMain(['--config', file, '--test']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('busbar-historian: busbar-historian has no --test mode\n');
  });
});
