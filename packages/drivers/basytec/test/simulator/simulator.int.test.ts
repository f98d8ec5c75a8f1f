/**
 * The demo starter: one simulator writing a growing Resultfile (space-separated, UTF-8, CRLF,
 * hours, DateTime) and answering RCI at the same time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_RCI_TEMPLATES } from '../../src/codec/rci.js';
import { parseResultfile } from '../../src/codec/resultfile.js';
import { RciClient } from '../../src/client/rci-client.js';
import { connectTcpTransport } from '../../src/client/rci-transport.js';
import { startBasytecSimulator } from '../../src/simulator/simulator.js';

describe('startBasytecSimulator', () => {
  it('writes rows at the configured rate into a growing Resultfile and answers RCI; stops on dispose', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'busbar-basytec-sim-'));
    try {
      let path: string;
      {
        await using sim = await startBasytecSimulator({
          rowsPerSecond: 20,
          resultfile: { dir, fileName: 'demo.txt', format: { separator: 'space', encoding: 'utf8', eol: 'crlf', timeUnit: 'h', dateTimeColumn: true, testName: 'demo' } },
          rci: { replyDelayMs: 10 },
        });
        path = sim.filePath!;
        const rci = new RciClient({ transport: await connectTcpTransport({ host: sim.rci!.host, port: sim.rci!.port }), templates: EXAMPLE_RCI_TEMPLATES });
        await expect(rci.startTest(1, 'capacity.pln')).resolves.toMatchObject({ reply: 'OK START 1' });
        await rci.close();
        await new Promise((r) => setTimeout(r, 1500));
        expect(sim.written()).toBeGreaterThanOrEqual(20);
      }
      const bytes = await readFile(path);
      const p = parseResultfile(bytes, { timeZone: 'UTC' });
      expect(p.errors).toEqual([]);
      expect(p.header).toMatchObject({ separator: 'space', encoding: 'utf-8' });
      expect(p.header.meta.testName).toBe('demo');
      expect(p.rows.length).toBeGreaterThanOrEqual(20);
      expect(p.rows.map((r) => r.data_set)).toEqual(p.rows.map((_, i) => i + 1));
      // stopped: the file no longer grows
      await new Promise((r) => setTimeout(r, 400));
      expect((await readFile(path)).length).toBe(bytes.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
