/**
 * Footprint benchmark (issue 15, "lean services"): each collector at about 1,000 channels polled at
 * 1 Hz against its simulator, run the way deploy runs it, with its RSS and CPU sampled every second
 * and one heap snapshot at the end. `npm run bench:footprint [-- flags]`.
 *
 * One round = one local stack (deploy/local/stack.ts: real Kafka from @busbar/testkit, the
 * simulators in this process, every collector as a child process `node <dist/main.js> --config …`
 * with the deploy files' `NODE_OPTIONS`), all collectors at once, no historian/alerter/commander:
 * - `arbin`: one Arbin CTI simulator with `--arbin-channels` (1,024) channels, read with
 *   `channels: all` every second (a channel = an Arbin IV channel, one reading each);
 * - `modbus`: `--modbus-devices` (100) simulated power supplies, each polled every second; a channel
 *   here = a point of the device's register map (18 per power supply: 1,800 for 100 devices);
 * - `maccor`: one MacNet simulator with `--maccor-channels` (1,024) channels (service time 1 ms, so
 *   that the bulk reads of 1,024 channels fit a 1 s poll; the collector's poll plan does the rest).
 * Then (unless `--no-idle`) one round of the historian and the alerter with nothing to do, with the
 * stack's own (the deploy files') flags.
 * Corus is left out: a gas volume converter has a few dozen values read every few seconds; 1,000
 * "channels" are not a meaningful load for it.
 *
 * After `--warmup` s, for `--duration` s: every second VmRSS (/proc/<pid>/status) and utime+stime
 * (/proc/<pid>/stat); at both ends the service's `/metrics` (readings taken, V8 heap used/total,
 * external memory from prom-client's default metrics). Then one heap snapshot per collector:
 * `--heapsnapshot-signal=SIGUSR2` (in `NODE_OPTIONS`) and SIGUSR2, written to
 * `.busbar/bench/footprint-snapshots/<variant>/` (the last round's stay, for DevTools' Memory tab),
 * summarised by scripts/bench-footprint/heap-summary.ts (top constructors by self size).
 *
 * `--variant label=<node options>` (repeatable) replaces the deploy flags (`--max-semi-space-size=4`)
 * by other V8 flags; variants are interleaved round by round. Medians over `--rounds`.
 * Prints a table and writes JSON to `.busbar/bench/footprint-<timestamp>.json`. Loopback only.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { arbinCyclers } from '../deploy/local/plugins/arbin.js';
import { maccorTesters } from '../deploy/local/plugins/maccor.js';
import { modbusPowerSupplies } from '../deploy/local/plugins/modbus-power-supply.js';
import { scrape, sumOf } from '../deploy/local/prom.js';
import type { Sample } from '../deploy/local/prom.js';
import { REPO_ROOT, startStack } from '../deploy/local/stack.js';
import type { DevicePlugin, ServiceProcess } from '../deploy/local/stack.js';
import { summariseHeapSnapshot } from './bench-footprint/heap-summary.js';
import type { HeapClass, HeapSnapshotJson } from './bench-footprint/heap-summary.js';

/** The V8 flags of the deploy files (systemd units, Compose, Helm) for collectors. */
const DEPLOY_FLAGS = '--max-semi-space-size=4';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string', default: 'arbin,modbus,maccor' },
    /** After the collectors' rounds, one round of the historian and the alerter idle (`--no-idle`: not). */
    'no-idle': { type: 'boolean', default: false },
    'arbin-channels': { type: 'string', default: '1024' },
    'modbus-devices': { type: 'string', default: '100' },
    'maccor-channels': { type: 'string', default: '1024' },
    variant: { type: 'string', multiple: true, default: [] },
    'no-snapshot': { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: resolve(REPO_ROOT, '.busbar/bench') },
  },
});

function intArg(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name}: an integer in ${min}…${max}, got ${raw}`);
  return v;
}
const durationS = intArg('duration', args.duration, 5, 600);
const warmupS = intArg('warmup', args.warmup, 0, 300);
const rounds = intArg('rounds', args.rounds, 1, 20);
const arbinChannels = intArg('arbin-channels', args['arbin-channels'], 1, 1024);
const modbusDevices = intArg('modbus-devices', args['modbus-devices'], 1, 500);
const maccorChannels = intArg('maccor-channels', args['maccor-channels'], 3, 1024);
const only = args.only.split(',').map((s) => s.trim());
for (const o of only) if (!['arbin', 'modbus', 'maccor'].includes(o)) throw new Error(`--only: arbin, modbus, maccor; got ${o}`);
/** `NAME=value` words of a variant: environment variables of the collectors (e.g. `MALLOC_ARENA_MAX=2`). */
const ENV_WORD = /^[A-Z][A-Z0-9_]*=/;
/** What a collector runs with: node options (as `NODE_OPTIONS`) and environment variables. */
interface Variant {
  readonly label: string;
  readonly flags: string;
  readonly env: Readonly<Record<string, string>>;
}
const variants: Variant[] =
  args.variant.length === 0
    ? [{ label: 'deploy', flags: DEPLOY_FLAGS, env: {} }]
    : args.variant.map((v) => {
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--variant: label=<node options>, got ${v}`);
        const words = v.slice(eq + 1).split(' ').filter((w) => w !== '');
        const env = Object.fromEntries(words.filter((w) => ENV_WORD.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
        return { label: v.slice(0, eq), flags: words.filter((w) => !ENV_WORD.test(w)).join(' '), env };
      });

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const MiB = 2 ** 20;

/** Channels of each collector, as counted in the header. */
const channelsOf: Record<string, string> = {
  'collector-arbin': `${arbinChannels} channels`,
  'collector-modbus': `${modbusDevices} devices × 18 points`,
  'collector-maccor': `${maccorChannels} channels`,
};

function plugins(): DevicePlugin[] {
  const out: DevicePlugin[] = [];
  if (only.includes('arbin')) out.push(arbinCyclers({ channels: arbinChannels, pollIntervalMs: 1000 }));
  if (only.includes('modbus')) out.push(modbusPowerSupplies({ devices: modbusDevices, pollIntervalMs: 1000, timeoutMs: 1000, tickMs: 1000 }));
  if (only.includes('maccor')) out.push(maccorTesters({ channels: maccorChannels, pollIntervalMs: 1000, serviceTimeMs: 1 }));
  return out;
}

/** utime + stime, seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
/**
 * VmRSS and RssAnon, bytes (/proc/<pid>/status). RSS − RssAnon is mostly the node binary's own pages
 * (file-backed, shared by every node process on the machine, about 50 MiB); RssAnon is the process's own.
 */
function rssOf(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/** One collector's figures in one round. */
interface Run {
  readonly round: number;
  readonly variant: string;
  readonly service: string;
  readonly channels: string;
  readonly rssMedianMiB: number;
  readonly rssMaxMiB: number;
  readonly anonMedianMiB: number;
  readonly cpuPercent: number;
  readonly readingsPerS: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly snapshot?: { readonly file: string; readonly totalSelfMiB: number; readonly top: readonly HeapClass[] } | undefined;
}

/** Takes a heap snapshot by SIGUSR2 and waits for the file to be complete (parses as JSON). */
async function heapSnapshot(service: ServiceProcess, dir: string): Promise<{ file: string; json: HeapSnapshotJson }> {
  const before = new Set(readdirSync(dir));
  process.kill(service.pid, 'SIGUSR2');
  const end = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > end) throw new Error(`${service.name}: no heap snapshot in ${dir} within 120 s`);
    await sleep(500);
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(`.${service.pid}.0.001.heapsnapshot`)) ?? readdirSync(dir).find((f) => !before.has(f) && f.includes(`.${service.pid}.`) && f.endsWith('.heapsnapshot'));
    if (file === undefined) continue;
    const path = join(dir, file);
    const size = statSync(path).size;
    await sleep(500);
    if (statSync(path).size !== size || size === 0) continue;
    try {
      return { file: path, json: JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson };
    } catch {
      // still being written
    }
  }
}

/** A plugin without devices: the idle phase starts services only. */
const NO_DEVICES: DevicePlugin = {
  name: 'none',
  start: () => Promise.resolve({ plugin: 'none', simulators: undefined, collectors: () => [], describe: () => [], close: () => Promise.resolve() }),
};
/** The idle alerter's one rule (it needs at least one; nothing publishes readings in the idle phase). */
const IDLE_RULE = { id: 'idle-overtemp', devices: ['psu-1'], signal: 'temperature_c', direction: 'above', warning: 70, critical: 80, clear: 60, forMs: 0 };

/**
 * One stack: `variant` = the collectors at 1,000 channels with that variant's flags, or `idle` = the
 * historian and the alerter with nothing to do, each with the stack's (the deploy files') own flags.
 */
async function oneRound(r: number, variant: Variant | 'idle', runDir: string): Promise<Run[]> {
  const idle = variant === 'idle';
  const label = idle ? 'idle' : variant.label;
  // outside the run directory (emptied by every stack): the last round's snapshots of each variant stay
  const snapDir = resolve(args['out-dir'], 'footprint-snapshots', label);
  rmSync(snapDir, { recursive: true, force: true });
  mkdirSync(snapDir, { recursive: true });
  // the deploy files give V8 flags in NODE_OPTIONS; the stack's own flags are left out so that a variant replaces them
  if (!idle) process.env.BUSBAR_STACK_V8_DEFAULTS = '1';
  process.env.NODE_OPTIONS = [idle ? '' : variant.flags, args['no-snapshot'] ? '' : `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapDir}`].join(' ').trim();
  const env = idle ? {} : variant.env;
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const stack = await startStack({
    runDir, plugins: idle ? [NO_DEVICES] : plugins(), historian: idle ? {} : false, alerterRules: idle ? [IDLE_RULE] : false, commander: false, logLevel: 'info', onProgress: (l) => say(`.. ${l}`),
  }).finally(() => {
    delete process.env.NODE_OPTIONS;
    delete process.env.BUSBAR_STACK_V8_DEFAULTS;
    for (const k of Object.keys(env)) delete process.env[k];
  });
  try {
    const collectors = [...stack.services.values()].filter((s) => (idle ? s.name === 'historian' || s.name === 'alerter' : s.name.startsWith('collector-')));
    say(`.. round ${r + 1} (${idle ? 'historian and alerter idle, the deploy files\' flags' : `${variant.label}: ${[variant.flags || 'V8 defaults', ...Object.entries(variant.env).map(([k, v]) => `${k}=${v}`)].join(' ')}`}): warming up ${warmupS} s`);
    await sleep(warmupS * 1000);
    const m0 = await Promise.all(collectors.map((s) => scrape(s.metricsUrl)));
    const t0 = performance.now();
    const cpu0 = collectors.map((s) => cpuSeconds(s.pid));
    const rss: number[][] = collectors.map(() => []);
    const anon: number[][] = collectors.map(() => []);
    say(`.. sampling for ${durationS} s`);
    for (let i = 0; i < durationS; i++) {
      await sleep(1000);
      collectors.forEach((s, k) => {
        if (!s.running()) throw new Error(`${s.name} exited during the run (see ${s.logFile})`);
        const m = rssOf(s.pid);
        rss[k]!.push(m.rss);
        anon[k]!.push(m.anon);
      });
    }
    const windowS = (performance.now() - t0) / 1000;
    const cpu1 = collectors.map((s) => cpuSeconds(s.pid));
    const m1 = await Promise.all(collectors.map((s) => scrape(s.metricsUrl)));
    const runs: Run[] = [];
    for (const [k, s] of collectors.entries()) {
      const a: Sample[] = m0[k]!;
      const b: Sample[] = m1[k]!;
      const records = sumOf(b, 'busbar_collector_readings_total') - sumOf(a, 'busbar_collector_readings_total');
      let snapshot: Run['snapshot'];
      if (!args['no-snapshot']) {
        const snap = await heapSnapshot(s, snapDir);
        const sum = summariseHeapSnapshot(snap.json, 10);
        snapshot = { file: relative(REPO_ROOT, snap.file), totalSelfMiB: round(sum.totalSelfBytes / MiB, 1), top: sum.top };
      }
      runs.push({
        round: r,
        variant: label,
        service: s.name,
        channels: channelsOf[s.name] ?? 'idle',
        rssMedianMiB: round(median(rss[k]!) / MiB),
        rssMaxMiB: round(Math.max(...rss[k]!) / MiB),
        anonMedianMiB: round(median(anon[k]!) / MiB),
        cpuPercent: round(((cpu1[k]! - cpu0[k]!) / windowS) * 100, 1),
        readingsPerS: round(records / windowS, 0),
        heapUsedMiB: round(sumOf(b, 'nodejs_heap_size_used_bytes') / MiB),
        heapTotalMiB: round(sumOf(b, 'nodejs_heap_size_total_bytes') / MiB),
        externalMiB: round(sumOf(b, 'nodejs_external_memory_bytes') / MiB),
        snapshot,
      });
    }
    return runs;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const cpuModel = (/model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown').trim();
  const machine = { nproc: cpus().length, cpu: cpuModel, memoryGiB: round(totalmem() / 2 ** 30), node: process.version, kernel: release() };
  say(`machine: ${machine.nproc} CPUs, ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, Linux ${machine.kernel}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  say(`footprint: ${only.join(', ')} at 1 Hz; warm-up ${warmupS} s, window ${durationS} s, ${rounds} round(s) × ${variants.map((v) => v.label).join(', ')}`);
  const runs: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, k) => variants[(k + r) % variants.length]!);
    for (const v of order) {
      const got = await oneRound(r, v, resolve(args['out-dir'], 'footprint-run'));
      runs.push(...got);
      report(got);
    }
  }
  if (!args['no-idle']) {
    const got = await oneRound(rounds - 1, 'idle', resolve(args['out-dir'], 'footprint-run'));
    runs.push(...got);
    report(got);
  }
  function report(got: readonly Run[]): void {
    for (const x of got) say(`round ${x.round + 1} ${x.variant.padEnd(10)} ${x.service.padEnd(18)} RSS median ${x.rssMedianMiB} MiB (max ${x.rssMaxMiB}, anonymous ${x.anonMedianMiB})  CPU ${x.cpuPercent} %  ${x.readingsPerS} readings/s  V8 heap ${x.heapUsedMiB}/${x.heapTotalMiB} MiB  external ${x.externalMiB} MiB  (load ${loadavg()[0]!.toFixed(2)})`);
  }

  say();
  say('| service | channels | variant | RSS MiB median (min–max of rounds) | of which anonymous MiB | CPU % of a core | readings/s | V8 heap used / total MiB | external MiB |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const cell = (xs: number[], d = 0): string => (xs.length === 1 ? `${round(xs[0]!, d)}` : `${round(median(xs), d)} (${round(Math.min(...xs), d)}–${round(Math.max(...xs), d)})`);
  const services = [...new Set(runs.map((x) => x.service))];
  for (const s of services) {
    for (const v of [...variants, { label: 'idle' }]) {
      const of = runs.filter((x) => x.service === s && x.variant === v.label);
      if (of.length === 0) continue;
      say(`| ${s} | ${of[0]!.channels} | ${v.label} | ${cell(of.map((x) => x.rssMedianMiB))} | ${cell(of.map((x) => x.anonMedianMiB))} | ${cell(of.map((x) => x.cpuPercent), 1)} | ${cell(of.map((x) => x.readingsPerS))} | ${cell(of.map((x) => x.heapUsedMiB))} / ${cell(of.map((x) => x.heapTotalMiB))} | ${cell(of.map((x) => x.externalMiB), 1)} |`);
    }
  }
  // the heap snapshot of each collector in the last round
  for (const x of runs.filter((y) => y.round === rounds - 1 && y.snapshot)) {
    say();
    say(`${x.service} (${x.variant}) heap snapshot: ${x.snapshot!.totalSelfMiB} MiB live in ${x.snapshot!.file}; top 10 by self size:`);
    for (const c of x.snapshot!.top) say(`  ${(c.selfBytes / MiB).toFixed(2).padStart(7)} MiB  ${String(c.count).padStart(8)}  ${c.name}`);
  }
  say(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  mkdirSync(args['out-dir'], { recursive: true });
  const file = join(args['out-dir'], `footprint-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine, durationS, warmupS, rounds, variants, runs }, null, 2)}\n`);
  say(`JSON: ${relative(process.cwd(), file)}`);
}

await main();
