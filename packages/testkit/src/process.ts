/**
 * Child server processes: spawned in their own process group, output to a log file, killed with
 * their whole tree when stopped, when this process exits, and — through a watchdog — when this
 * process dies without running exit handlers (SIGKILL, a crash, Ctrl-C of the test runner).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { TestkitError } from './errors.js';

/** Internal: one running server process. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited, with its exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Whether the process is still running. */
  running(): boolean;
  /** SIGTERM (or the server's `stopSignal`) to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

const live = new Set<ServerProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) killGroup(p.pid, 'SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Internal: removes `dir` when this process exits, unless {@link forgetTempDir} was called. */
export function rememberTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

/** Internal: removes `dir` now and forgets it. */
export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Internal: spawns `command` with output appended to `logFile`.
 * The child leads its own process group (so the JVM's or influxd's threads and helpers go with it)
 * and is unref'ed: a forgotten server does not keep the test runner alive.
 */
export function spawnServer(
  name: string,
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string; removeOnOrphan?: string; uid?: number; gid?: number; stopSignal?: NodeJS.Signals },
): ServerProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    // uid/gid: servers that refuse to run as root (PostgreSQL) are spawned as their own user, so
    // the pid is the server itself (no runuser parent that would swallow signals).
    const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd], ...ids });
  } finally {
    closeSync(fd);
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once('error', () => {
      exitCode = null;
      resolve(null);
    });
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new TestkitError('BB_TESTKIT_START_FAILED', `${name}: could not spawn ${command} (is it on PATH?)`, {
      context: { server: name, command },
    });
  }
  // Watchdog: a detached shell blocked on a pipe from us. When this process dies, the pipe closes,
  // `read` returns and the shell kills the server's process group, then deletes `removeOnOrphan`.
  // (`kill -9 -PGID`: dash's kill takes neither `--` nor `-s KILL -PGID`.)
  const watchdogScript = 'read -r _; kill -9 "-$1" 2>/dev/null; if [ -n "$2" ]; then sleep 1; rm -rf "$2"; fi';
  const watchdog = spawn('sh', ['-c', watchdogScript, 'busbar-testkit-watchdog', String(pid), opts.removeOnOrphan ?? ''], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  const proc: ServerProcess = {
    name,
    pid,
    logFile: opts.logFile,
    exited,
    running: () => exitCode === undefined,
    async stop(graceMs: number) {
      watchdog.kill('SIGKILL');
      if (exitCode !== undefined) return;
      killGroup(pid, opts.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
        live.delete(proc);
      }
      // The leader is gone; make sure no straggler of its group survives.
      killGroup(pid, 'SIGKILL');
    },
  };
  void exited.then(() => {
    live.delete(proc);
    watchdog.kill('SIGKILL');
  });
  live.add(proc);
  return proc;
}

/** Internal: the last `lines` lines of a log file, or a note that it is empty/unreadable. */
export function logTail(logFile: string, lines = 40): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd();
    if (text === '') return '(log is empty)';
    return text.split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${logFile}: ${(err as Error).message})`;
  }
}

/**
 * Internal: polls `probe` every `intervalMs` until it returns true, the process exits, or
 * `timeoutMs` passes. Errors include the tail of the server log.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    if (!proc.running()) {
      const code = await proc.exited;
      throw new TestkitError(
        'BB_TESTKIT_START_FAILED',
        `${proc.name} exited (code ${String(code)}) before ${opts.what}. Log ${proc.logFile}, last lines:\n${logTail(proc.logFile)}`,
        { context: { server: proc.name, logFile: proc.logFile } },
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      await proc.stop(5_000);
      const last = lastError instanceof Error ? ` Last probe error: ${lastError.message}.` : '';
      throw new TestkitError(
        'BB_TESTKIT_START_TIMEOUT',
        `${proc.name} not ${opts.what} after ${opts.timeoutMs} ms (stopped it).${last} Log ${proc.logFile}, last lines:\n${logTail(proc.logFile)}`,
        { context: { server: proc.name, logFile: proc.logFile, timeoutMs: opts.timeoutMs }, cause: lastError },
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Internal: runs a command to completion (output appended to `logFile`); throws with the log tail on failure. */
export async function runToCompletion(
  name: string,
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string; timeoutMs: number; uid?: number; gid?: number },
): Promise<void> {
  const proc = spawnServer(name, command, args, opts);
  const timer = setTimeout(() => void proc.stop(1_000), opts.timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new TestkitError(
      'BB_TESTKIT_START_FAILED',
      `${name} failed (exit code ${String(code)}). Log ${opts.logFile}, last lines:\n${logTail(opts.logFile)}`,
      { context: { server: name, logFile: opts.logFile } },
    );
  }
}
