/**
 * deploy/systemd/*.service checked with `systemd-analyze verify` (Debian's systemd, no systemd
 * needed as PID 1). verify returns 0 on unknown keys and bad values and only warns on stderr, so any
 * stderr output fails the test. verify also needs the ExecStart binary to exist: the copy verified
 * here has the install path of Node (/opt/busbar/node/bin/node) replaced by this Node, nothing else.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_DIR, DEPLOY_DIR, REPO_ROOT, SERVICES } from './support.js';

const run = promisify(execFile);
const UNIT_DIR = join(DEPLOY_DIR, 'systemd');
const NODE_INSTALL_PATH = '/opt/busbar/node/bin/node';
const work = mkdtempSync(join(tmpdir(), 'busbar-systemd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `systemd-analyze verify` on `text` saved as `name`; resolves its exit code and stderr. */
async function verify(name: string, text: string): Promise<{ code: number; stderr: string }> {
  const file = join(work, name);
  writeFileSync(file, text.replaceAll(NODE_INSTALL_PATH, process.execPath));
  try {
    const { stderr } = await run('systemd-analyze', ['verify', '--man=no', file], { cwd: work });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

const unit = (name: string): string => readFileSync(join(UNIT_DIR, name), 'utf8');

/** `Key=value` lines of a unit's [Service] section (repeated keys collected). */
function serviceSection(text: string): Map<string, string[]> {
  const section = text.split(/^\[Service\]$/m)[1]!.split(/^\[/m)[0]!;
  const out = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/systemd', () => {
  const units = readdirSync(UNIT_DIR).filter((f) => f.endsWith('.service'));

  it('has a unit per service, a collector template and the topics job', () => {
    expect(units.sort()).toEqual(['busbar-alerter.service', 'busbar-collector@.service', 'busbar-commander.service', 'busbar-historian.service', 'busbar-topics.service']);
  });

  it.each([
    ['busbar-historian.service'], ['busbar-alerter.service'], ['busbar-commander.service'], ['busbar-topics.service'],
    ['busbar-collector@modbus.service', 'busbar-collector@.service'], ['busbar-collector@corus.service', 'busbar-collector@.service'],
  ])('%s passes systemd-analyze verify without a warning', async (name, source = name) => {
    const result = await verify(name, unit(source));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('the check can fail: an unknown key and a bad value are reported on stderr', async () => {
    const broken = unit('busbar-alerter.service').replace('Restart=on-failure', 'Restart=sometimes\nRestartSecs=5');
    const result = await verify('busbar-broken.service', broken);
    expect(result.code).toBe(0); // what systemd-analyze returns: why stderr is what the test reads
    expect(result.stderr).toMatch(/Unknown key 'RestartSecs'/);
    expect(result.stderr).toMatch(/restart specifier.*sometimes/);
  });

  it('runs each service from its built entry point with its /etc/busbar file, restarts on failure but not on a configuration error', () => {
    for (const [name, svc] of Object.entries(SERVICES)) {
      const file = name.startsWith('collector-') ? 'busbar-collector@.service' : `busbar-${name}.service`;
      const s = serviceSection(unit(file));
      const entry = name.startsWith('collector-') ? svc.entry.replace(name.slice('collector-'.length), '%i') : svc.entry;
      const config = name.startsWith('collector-') ? '/etc/busbar/collector-%i.yaml' : `/etc/busbar/${name}.yaml`;
      expect(s.get('ExecStart'), name).toEqual([`${NODE_INSTALL_PATH} ${entry} --config ${config}`]);
      expect(existsSync(join(REPO_ROOT, svc.entry.replace('/dist/main.js', '/src/main.ts'))), name).toBe(true);
      expect(existsSync(join(CONFIG_DIR, `${name}.yaml`)), name).toBe(true);
      expect(s.get('Restart'), name).toEqual(['on-failure']);
      expect(s.get('RestartPreventExitStatus'), name).toEqual(['2']);
      expect(s.get('KillSignal'), name).toEqual(['SIGTERM']);
      expect(s.get('EnvironmentFile'), name).toEqual(['-/etc/busbar/busbar.env']);
      expect(s.get('User'), name).toEqual(['busbar']);
      for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'RestrictSUIDSGID']) expect(s.get(key), `${name} ${key}`).toEqual(['yes']);
      expect(s.get('ProtectSystem'), name).toEqual(['strict']);
    }
  });

  it('gives collectors a state directory and serial lines, and the historian its token as a credential', () => {
    const collector = serviceSection(unit('busbar-collector@.service'));
    expect(collector.get('StateDirectory')).toEqual(['busbar/collector-%i']);
    expect(collector.get('SupplementaryGroups')).toEqual(['dialout']);
    expect(collector.get('DeviceAllow')).toContain('char-ttyUSB rw');
    const historian = serviceSection(unit('busbar-historian.service'));
    expect(historian.get('LoadCredential')).toEqual(['influx-token:/etc/busbar/secrets/influx-token']);
    expect(historian.get('Environment')).toContain('BUSBAR_INFLUX__TOKEN_FILE=%d/influx-token');
    expect(serviceSection(unit('busbar-topics.service')).get('Type')).toEqual(['oneshot']);
  });
});
