/**
 * Starts test/peers/arbin_spoofer.py with the peers venv interpreter (BUSBAR_PEERS_PYTHON, else
 * <repo>/.venv/peers/bin/python) and resolves with the port it prints. Fails loudly when the venv is
 * missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The peers interpreter, or throws naming the setup script. */
export function peersPython(): string {
  const py = process.env.BUSBAR_PEERS_PYTHON ?? `${repo}.venv/peers/bin/python`;
  if (!existsSync(py)) throw new Error(`peers Python not found at ${py}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  return py;
}

/** Starts ArbinSpoofer; `stop()` ends it. */
export async function startArbinSpoofer(channels: number): Promise<{ port: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(peersPython(), [fileURLToPath(new URL('./arbin_spoofer.py', import.meta.url)), String(channels), '120'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`ArbinSpoofer not ready in 20 s: ${stderr}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ArbinSpoofer exited with ${code}: ${stderr}`));
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin?.end();
      }),
  };
}
