/** `runService`'s ops server during start-up: alive at once, not ready (`starting`) until the composition runs. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runService } from '../src/service.js';
import type { RunningService } from '../src/service.js';

async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('runtime > runService > ops server during start-up', () => {
  it('answers /livez at once, /readyz and /healthz 503 "starting" while start runs, then the service\'s own checks', async () => {
    const port = await freeLoopbackPort();
    let started: (s: RunningService) => void = () => {};
    const service: RunningService = { health: () => ({ ok: true }), ready: () => ({ kafka_consumer: { ok: true } }), stop: () => Promise.resolve() };
    const running = runService({ name: 'test-svc', opsPort: port, start: () => new Promise<RunningService>((r) => (started = r)) }, false);
    const base = `http://127.0.0.1:${port}`;
    // the ops server is up before the composition: poll until it answers
    let live: Response | undefined;
    for (let i = 0; i < 100 && live === undefined; i++) live = await fetch(`${base}/livez`).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)));
    expect(live?.status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not_ready', reasons: ['service: starting'], checks: { service: { ok: false, reason: 'starting' } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    started(service);
    const handle = await running;
    try {
      expect(handle.ops.port).toBe(port);
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { kafka_consumer: { ok: true } } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await handle.shutdown();
    }
  });

  it('closes the ops server when start fails, and rethrows', async () => {
    const port = await freeLoopbackPort();
    await expect(runService({ name: 'test-svc', opsPort: port, start: () => Promise.reject(new Error('Kafka unreachable')) }, false)).rejects.toThrow('Kafka unreachable');
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
  });
});
