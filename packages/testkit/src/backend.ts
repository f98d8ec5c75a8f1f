/**
 * Backend seam: the native servers (cache binaries, what runs on CI and here) or testcontainers
 * images where a Docker engine is reachable. The `testcontainers` npm modules are imported lazily
 * and are not dependencies of this package: install them yourself to use that backend.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { TestkitError } from './errors.js';

/** Where a server runs: a local process from the Busbar cache, or a Docker container via testcontainers. */
export type Backend = 'native' | 'testcontainers';

/**
 * Whether a Docker engine answers `GET /_ping` within `timeoutMs` at `$DOCKER_HOST`
 * (`unix://…` or `tcp://host:port`) or `/var/run/docker.sock`. Never throws.
 * @param timeoutMs - ms. @default 1000
 */
export async function testcontainersAvailable(timeoutMs = 1_000, env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  const dockerHost = env['DOCKER_HOST'];
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost === undefined || dockerHost === '') {
    if (!existsSync('/var/run/docker.sock')) return false;
    target = { socketPath: '/var/run/docker.sock' };
  } else if (dockerHost.startsWith('unix://')) {
    target = { socketPath: dockerHost.slice('unix://'.length) };
  } else if (dockerHost.startsWith('tcp://')) {
    const u = new URL(`http://${dockerHost.slice('tcp://'.length)}`);
    target = { host: u.hostname, port: Number(u.port || 2375) };
  } else {
    return false;
  }
  return new Promise<boolean>((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Chooses the backend: `requested`, else `$BUSBAR_TESTKIT_BACKEND`, else `native`.
 * `auto` means testcontainers when a Docker engine answers and the `testcontainers` module can be
 * imported, native otherwise.
 * @throws {TestkitError} `BB_TESTKIT_UNSUPPORTED` for `testcontainers` without a reachable Docker engine,
 *   and for an unknown value.
 */
export async function chooseBackend(requested?: Backend | 'auto'): Promise<Backend> {
  const wanted = requested ?? process.env['BUSBAR_TESTKIT_BACKEND'] ?? 'native';
  switch (wanted) {
    case 'native':
      return 'native';
    case 'testcontainers':
      if (!(await testcontainersAvailable())) {
        throw new TestkitError('BB_TESTKIT_UNSUPPORTED', 'testcontainers backend requested but no Docker engine answers at $DOCKER_HOST or /var/run/docker.sock');
      }
      return 'testcontainers';
    case 'auto':
      return (await testcontainersAvailable()) && (await importable('testcontainers')) ? 'testcontainers' : 'native';
    default:
      throw new TestkitError('BB_TESTKIT_UNSUPPORTED', `BUSBAR_TESTKIT_BACKEND=${wanted}: expected native, testcontainers or auto`);
  }
}

async function importable(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}
