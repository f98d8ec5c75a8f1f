/** Helpers of the image tests: the podman settings of deploy/local/containers.ts, skopeo's reference, a command runner. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { imageEnv } from '../../deploy/local/containers.js';

export { RUN_FLAGS, imageEnv, podmanGlobalArgs } from '../../deploy/local/containers.js';

const exec = promisify(execFile);

/** The `skopeo`/`buildah` reference of the image in the local storage. */
export function storageRef(): string {
  const { root, runroot, image } = imageEnv();
  return `containers-storage:[vfs@${root}+${runroot}]${image}`;
}

/** Runs a command; resolves its exit code and output (never rejects on a non-zero exit). */
export async function runCommand(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, env: options.env ?? process.env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}${typeof e.code === 'string' ? ` (${e.code})` : ''}` };
  }
}
