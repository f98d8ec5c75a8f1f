/**
 * Fault-suite support: a Busbar service as a separate OS process (`node services/<x>/dist/main.js
 * --config <file>`, the way an operator runs it), which a scenario can stop with SIGTERM, kill with
 * SIGKILL (`kill -9`) and start again on the same configuration and state files. Each start appends
 * to the same log file; the ops port is read back from the runtime's "started" line of that start.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** The repository root (this file is `test/faults/support/service-process.ts`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Entry points of the services a fault scenario may start (built by the suite's global setup). */
export const ENTRIES = {
  historian: 'services/historian/dist/main.js',
  alerter: 'services/alerter/dist/main.js',
  commander: 'services/commander/dist/main.js',
  'collector-modbus': 'services/collectors/modbus/dist/main.js',
} as const;

/** A service process that can be killed and started again. */
export interface ServiceProcess {
  readonly name: string;
  /** Its log (every start appends). */
  readonly logFile: string;
  /** Whether the current process runs. */
  running(): boolean;
  /** The current process's `http://127.0.0.1:<port>` ops server. */
  opsUrl(): string;
  /** Starts it (again); resolves once its ops server answers. */
  start(): Promise<void>;
  /** `kill -9`: resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (SIGKILL after 20 s); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** A counter or gauge of its `/metrics`, summed over the series whose labels include `labels` (0 when absent). */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
}

/** Sums the samples of `name` in a Prometheus text exposition whose labels include `labels`. */
export function sumMetric(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(l[1]!, l[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

/**
 * Writes `config` as `<dir>/<name>.yaml` (ops on 127.0.0.1, an ephemeral port) and returns a handle;
 * call `start()` to run it.
 */
export function serviceProcess(name: keyof typeof ENTRIES, dir: string, config: Record<string, unknown>): ServiceProcess {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, `${name}.yaml`);
  const logFile = join(dir, `${name}.log`);
  writeFileSync(configFile, stringify({ ...config, ops: { host: '127.0.0.1', port: 0 } }));
  writeFileSync(logFile, '');
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let alive = false;
  let url = '';
  const killOnExit = (): void => {
    if (alive && child?.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };

  const waitForOps = async (from: number): Promise<string> => {
    const end = Date.now() + 60_000;
    for (;;) {
      const text = readFileSync(logFile, 'utf8').slice(from);
      for (const line of text.split('\n')) {
        if (!line.includes('"ops"')) continue;
        try {
          const ops = (JSON.parse(line) as { ops?: unknown }).ops;
          if (typeof ops === 'string') return ops;
        } catch {
          // a partial line
        }
      }
      if (!alive) throw new Error(`${name} exited at start:\n${text.split('\n').slice(-20).join('\n')}`);
      if (Date.now() > end) throw new Error(`${name} did not start in 60 s:\n${text.split('\n').slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const handle: ServiceProcess = {
    name,
    logFile,
    running: () => alive,
    opsUrl: () => url,
    async start() {
      if (alive) throw new Error(`${name} is already running`);
      const from = statSync(logFile).size;
      const fd = openSync(logFile, 'a');
      try {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BUSBAR_')) env[k] = v;
        env.BUSBAR_LOG_LEVEL = 'info';
        child = spawn(process.execPath, [join(REPO_ROOT, ENTRIES[name]), '--config', configFile], { cwd: dir, env, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      alive = true;
      const c = child;
      exited = new Promise((res) => {
        c.once('exit', (code) => ((alive = false), res(code)));
        c.once('error', () => ((alive = false), res(null)));
      });
      process.once('exit', killOnExit);
      url = await waitForOps(from);
    },
    async kill9() {
      if (alive && child?.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await exited;
      process.off('exit', killOnExit);
    },
    async stop() {
      if (!alive || child?.pid === undefined) return exited;
      process.kill(child.pid, 'SIGTERM');
      const pid = child.pid;
      const timer = setTimeout(() => alive && process.kill(pid, 'SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
        process.off('exit', killOnExit);
      }
    },
    async metric(metricName, labels = {}) {
      const res = await fetch(`${url}/metrics`);
      return sumMetric(await res.text(), metricName, labels);
    },
  };
  return handle;
}
