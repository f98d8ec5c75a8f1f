import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.js';
import { testcontainersAvailable } from '../src/backend.js';

describe('Testkit > ports', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
});

describe('Testkit > backend', () => {
  it('reports no Docker engine for an address that does not answer', async () => {
    expect(await testcontainersAvailable(200, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
    expect(await testcontainersAvailable(200, { DOCKER_HOST: 'ssh://somewhere' })).toBe(false);
  });
});
