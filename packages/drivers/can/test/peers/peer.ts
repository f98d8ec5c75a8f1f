/**
 * Starts the Python peers with the peers venv interpreter (BUSBAR_PEERS_PYTHON, else
 * <repo>/.venv/peers/bin/python, created by scripts/peers/setup-venv.sh): the python-can BMS
 * simulator (peers/bms_sim.py) and the cantools oracle (test/peers/cantools_oracle.py).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The peers interpreter, or throws naming the setup script. */
export function peersPython(): string {
  const py = process.env.BUSBAR_PEERS_PYTHON ?? `${repo}.venv/peers/bin/python`;
  if (!existsSync(py)) throw new Error(`peers Python not found at ${py}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  return py;
}

/** A running BMS simulator: its JSON output lines, stdin commands, stop. */
export interface BmsSim {
  readonly lines: Array<Record<string, unknown>>;
  command(line: string): void;
  /** Resolves when a line satisfying `pred` has been printed (rejects after `timeoutMs`). */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts peers/bms_sim.py against a socketcand server and waits for READY. */
export async function startBmsSim(port: number, bmus: readonly number[], periodS = 0.05): Promise<BmsSim> {
  const script = fileURLToPath(new URL('../../peers/bms_sim.py', import.meta.url));
  const child: ChildProcess = spawn(peersPython(), [script, '--port', String(port), '--bmus', bmus.join(','), '--period', String(periodS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let buf = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bms_sim not ready in 20 s: ${stderr}`)), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bms_sim exited with ${code}: ${stderr}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'READY') {
          clearTimeout(timer);
          resolve();
        } else if (line.startsWith('{')) {
          lines.push(JSON.parse(line) as Record<string, unknown>);
          for (const w of waiters) w();
        }
      }
    });
  });
  return {
    lines,
    command: (line) => child.stdin?.write(`${line}\n`),
    waitFor: (pred, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines.find(pred);
          if (hit === undefined) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`bms_sim: no matching line in ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin?.end('quit\n');
      }),
  };
}
