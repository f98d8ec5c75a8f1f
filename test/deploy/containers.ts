/**
 * Running the Busbar image here: podman without a daemon, with the storage of scripts/image/env.sh
 * (vfs under the Busbar cache) and the flags podman needs on these machines (runc, cgroupfs, file
 * events; crun fails: setrlimit not permitted / hybrid cgroups). No systemd: health checks are not
 * scheduled (`--health-interval disable`), `podman healthcheck run` runs them on demand.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support.js';

const exec = promisify(execFile);

/** Paths of scripts/image/env.sh, with the same environment overrides. */
export function imageEnv(env: NodeJS.ProcessEnv = process.env): { image: string; version: string; root: string; runroot: string; archive: string } {
  const cache = env['BUSBAR_CACHE_DIR'] || join(homedir(), '.cache', 'busbar');
  const version = env['BUSBAR_IMAGE_VERSION'] || '0.1.0';
  return {
    version,
    image: env['BUSBAR_IMAGE'] || `localhost/busbar:${version}`,
    root: env['BUSBAR_CONTAINERS_ROOT'] || join(cache, 'containers', 'storage'),
    runroot: env['BUSBAR_CONTAINERS_RUNROOT'] || join(cache, 'containers', 'run'),
    archive: join(REPO_ROOT, '.busbar', 'image', `busbar-${version}.oci.tar`),
  };
}

/** Global flags of every podman command (storage, runtime, cgroups, events, temp dir). */
export function podmanGlobalArgs(tmp: string): string[] {
  const { root, runroot } = imageEnv();
  mkdirSync(tmp, { recursive: true });
  return ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', tmp, '--runtime', 'runc'];
}

/** `podman run` flags of a Busbar container here: host network (Kafka and InfluxDB stay native), limits runc accepts, no health-check timer. */
export const RUN_FLAGS = ['--network', 'host', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024', '--health-interval', 'disable'];

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
