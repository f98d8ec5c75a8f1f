/**
 * The RCI client over real TCP against the RCI simulator (the templates are the invented
 * examples: the real syntax is not public, reference §6), and over a serial line: a socat pty
 * pair bridged to the simulator's TCP port stands in for the RS232 cable.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runsAlone } from '@busbar/testkit/shared';
import { EXAMPLE_RCI_TEMPLATES } from '../../src/codec/rci.js';
import { RciClient } from '../../src/client/rci-client.js';
import { connectTcpTransport, openSerialTransport } from '../../src/client/rci-transport.js';
import { startRciSimulator } from '../../src/simulator/rci-simulator.js';

runsAlone('measures the ≤ 10 commands/s pacing at the RCI simulator to 50 ms (arrival times on a loaded event loop)');

const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-rci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RCI over TCP against the simulator', () => {
  it('start, refused second start, read state, stop; errors carry the outcome', async () => {
    const sim = await startRciSimulator({ replyDelayMs: 50 });
    const c = new RciClient({ transport: await connectTcpTransport({ host: sim.host, port: sim.port }), templates: EXAMPLE_RCI_TEMPLATES });
    try {
      await expect(c.startTest(4, 'capacity.pln')).resolves.toMatchObject({ reply: 'OK START 4' });
      await expect(c.readState(4)).resolves.toBe('running');
      await expect(c.startTest(4, 'capacity.pln')).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_REFUSED', outcome: 'refused', context: { reason: 'channel busy' } });
      await expect(c.startTest(5, 'nope.pln')).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_REFUSED', context: { reason: 'unknown plan' } });
      await expect(c.stopTest(4)).resolves.toMatchObject({ reply: 'OK STOP 4' });
      expect(sim.channels.get('4')).toBe('idle');
    } finally {
      await c.close();
      await sim.close();
    }
  });

  it('a command the software never answers times out with outcome unknown; the server closing is reported as lost', async () => {
    const sim = await startRciSimulator({ silentCommands: ['stop'] });
    const c = new RciClient({ transport: await connectTcpTransport({ host: sim.host, port: sim.port }), templates: EXAMPLE_RCI_TEMPLATES });
    await expect(c.stopTest(1, { timeoutMs: 500 })).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_TIMEOUT', outcome: 'unknown' });
    const inflight = c.stopTest(1, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    await sim.close();
    await expect(inflight).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_CONNECTION_LOST', outcome: 'unknown' });
    await expect(c.lost).resolves.toMatchObject({ code: 'BB_BASYTEC_RCI_CONNECTION_LOST' });
    await expect(c.readState(1)).rejects.toMatchObject({ outcome: 'not_sent' });
    await expect(connectTcpTransport({ host: '127.0.0.1', port: sim.port, connectTimeoutMs: 2000 })).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_NOT_CONNECTED', outcome: 'not_sent' });
    await c.close();
  });

  it('a burst of 100 commands on 10 channels arrives at ≤ 10/s: ≥ 9.9 s from first to last, never 11 in one second', async () => {
    const sim = await startRciSimulator({ replyDelayMs: 5 });
    const c = new RciClient({ transport: await connectTcpTransport({ host: sim.host, port: sim.port }), templates: EXAMPLE_RCI_TEMPLATES, inFlight: 'channel' });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.readState(i % 10)));
    const elapsed = Date.now() - t0;
    await c.close();
    await sim.close();
    const at = sim.received.map((r) => r.atMs);
    expect(at).toHaveLength(100);
    expect(at[99]! - at[0]!).toBeGreaterThanOrEqual(9_900 - 20); // arrival jitter on loopback
    for (let i = 10; i < at.length; i++) expect(at[i]! - at[i - 10]!).toBeGreaterThan(950);
    expect(elapsed).toBeGreaterThanOrEqual(9_900);
  }, 30_000);
});

describe('RCI over a serial line (socat pty pair bridged to the simulator)', () => {
  it('start and stop through serialport', async () => {
    const sim = await startRciSimulator();
    const pty = join(dir, 'ttyRCI');
    const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${pty}`, `tcp:127.0.0.1:${sim.port}`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(pty); i++) await new Promise((r) => setTimeout(r, 50));
      const c = new RciClient({ transport: await openSerialTransport({ path: pty, baudRate: 115200 }), templates: EXAMPLE_RCI_TEMPLATES });
      await expect(c.startTest(2, 'pulse.pln')).resolves.toMatchObject({ reply: 'OK START 2' });
      await expect(c.stopTest(2)).resolves.toMatchObject({ reply: 'OK STOP 2' });
      await c.close();
      await expect(openSerialTransport({ path: join(dir, 'no-such-tty') })).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_NOT_CONNECTED', outcome: 'not_sent' });
    } finally {
      socat.kill('SIGTERM');
      await sim.close();
    }
  });
});
