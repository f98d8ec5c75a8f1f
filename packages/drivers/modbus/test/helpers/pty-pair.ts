/**
 * Test helper: a pair of linked pseudo-terminals from Debian socat (scripts/infra/apt/rig.txt), the
 * stand-in for an RS-485 line: `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  close(): Promise<void>;
}

export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-modbus-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exit;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`socat did not create a pty pair (is Debian socat installed?): ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { a, b, close };
}
