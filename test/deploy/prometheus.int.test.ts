/**
 * deploy/prometheus/busbar-rules.yml checked with Debian's promtool (package `prometheus`,
 * scripts/infra/apt/prometheus.txt): `promtool check rules` and the rule unit tests
 * `promtool test rules busbar-rules.test.yml`; a broken expression and a loosened threshold must fail
 * them, and every metric the rules read must be one Busbar's code registers.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_DIR, REPO_ROOT } from './support.js';

const run = promisify(execFile);
const DIR = join(DEPLOY_DIR, 'prometheus');
const work = mkdtempSync(join(tmpdir(), 'busbar-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs promtool; resolves its exit code and output. Throws when promtool is not installed. */
async function promtool(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: install Debian package prometheus (scripts/infra/apt/prometheus.txt, npm run setup)', { cause: err });
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** A copy of deploy/prometheus in its own folder, with `busbar-rules.yml` edited by `edit`; resolves the folder. */
function variant(name: string, edit: (rules: string) => string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(DIR, 'busbar-rules.test.yml'), join(dir, 'busbar-rules.test.yml'));
  writeFileSync(join(dir, 'busbar-rules.yml'), edit(readFileSync(join(DIR, 'busbar-rules.yml'), 'utf8')));
  return dir;
}

/** Every `.ts` file under `dir` (no node_modules, dist, test). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (['node_modules', 'dist', 'test'].includes(n)) return [];
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

describe('deploy > prometheus > busbar-rules.yml', () => {
  it('promtool check rules accepts the rules', async () => {
    const r = await promtool(['check', 'rules', 'busbar-rules.yml'], DIR);
    expect(r.out).toContain('SUCCESS: 10 rules found');
    expect(r.code).toBe(0);
  });

  it('promtool test rules: every rule fires when it should, not before its for, not on healthy series', async () => {
    const r = await promtool(['test', 'rules', 'busbar-rules.test.yml'], DIR);
    expect(r.out, r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('the checks can fail: a broken expression, a loosened threshold', async () => {
    const broken = variant('broken', (t) => t.replace('expr: busbar_device_up == 0', 'expr: busbar_device_up ==='));
    const bad = await promtool(['check', 'rules', 'busbar-rules.yml'], broken);
    expect(bad.code).toBe(1);
    const loosened = variant('loosened', (t) => t.replace('busbar_collector_buffer_oldest_age_seconds > 60', 'busbar_collector_buffer_oldest_age_seconds > 6000'));
    const r = await promtool(['test', 'rules', 'busbar-rules.test.yml'], loosened);
    expect(r.code).toBe(1);
    expect(r.out).toContain('alertname: BusbarCollectorBuffering');
  });

  it('covers device down, lag growing, buffer filling, notify errors and dead letters, on metrics Busbar registers', () => {
    const rules = parse(readFileSync(join(DIR, 'busbar-rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string; labels: { severity: string } }[] }[] };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(['BusbarDeviceDown', 'BusbarConsumerLagGrowing', 'BusbarCollectorBufferFilling', 'BusbarNotifyErrors', 'BusbarDeadLetters']));
    for (const r of all) expect(['warning', 'critical']).toContain(r.labels.severity);
    const code = ['packages', 'services'].flatMap((d) => sources(join(REPO_ROOT, d))).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const metric of new Set(all.flatMap((r) => r.expr.match(/busbar_[a-z_]+/g) ?? []))) expect(code, metric).toContain(`name: '${metric}'`);
  });
});
