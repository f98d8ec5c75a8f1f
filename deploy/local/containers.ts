/**
 * Running the Busbar image on this machine: podman without a daemon, with the storage of
 * scripts/image/env.sh (vfs under the Busbar cache, same environment overrides) and the flags podman
 * needs here (runc, cgroupfs, file events; crun fails: setrlimit not permitted / hybrid cgroups).
 * Used by the demo's `--containers` mode (stack.ts) and the deploy tests.
 */
import { mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './stack.js';

/** Where the image is and what it is called (scripts/image/env.sh). */
export interface ImageEnv {
  /** Image name, `localhost/busbar:<version>` unless `BUSBAR_IMAGE`. */
  readonly image: string;
  /** Image version (`BUSBAR_IMAGE_VERSION`, default 0.1.0). */
  readonly version: string;
  /** containers/storage root (`BUSBAR_CONTAINERS_ROOT`). */
  readonly root: string;
  /** containers/storage run root (`BUSBAR_CONTAINERS_RUNROOT`). */
  readonly runroot: string;
  /** The OCI archive scripts/image/build.sh writes, `.busbar/image/busbar-<version>.oci.tar`. */
  readonly archive: string;
}

/** The image settings of scripts/image/env.sh, read from `env` with the same defaults. */
export function imageEnv(env: NodeJS.ProcessEnv = process.env): ImageEnv {
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

/** Global flags of every podman command: storage, runtime, cgroup manager, events, temporary directory `tmp` (created). */
export function podmanGlobalArgs(tmp = join(tmpdir(), 'busbar-podman'), env: NodeJS.ProcessEnv = process.env): string[] {
  const { root, runroot } = imageEnv(env);
  mkdirSync(tmp, { recursive: true });
  return ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', tmp, '--runtime', 'runc'];
}

/**
 * `podman run` flags of a Busbar container here: host network (Kafka, InfluxDB and the simulators
 * stay native on 127.0.0.1) and limits runc accepts. Add `--no-healthcheck` (podman schedules
 * health checks with systemd timers, absent here: it logs an error otherwise) or, to run the
 * image's check on demand with `podman healthcheck run`, `--health-interval disable`.
 */
export const RUN_FLAGS: readonly string[] = ['--network', 'host', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'];
