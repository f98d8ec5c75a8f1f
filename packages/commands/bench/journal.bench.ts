/**
 * What the execution journal costs per command: the `CommandExecutor` running commands whose device
 * action returns at once, without a journal, with one in memory, and with one on disk (SQLite, WAL,
 * `synchronous = FULL`: two durable writes per command, `started` and `done`). Printed as commands/s
 * and µs per command. Not an assertion: `npm run bench -w @busbar/commands` (`BENCH_N` commands, default 2000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@busbar/avro';
import { CommandExecutor } from '../src/executor.js';
import { ExecutionJournal } from '../src/journal.js';

const n = Number(process.env['BENCH_N'] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'busbar-journal-bench-'));

function command(i: number, run: string): Command {
  const now = Date.now();
  return { command_id: `${run}-${i}`, issuer: 'bench', issued_at: new Date(now), expires_at: new Date(now + 60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: i % 60 }, dry_run: false };
}

async function measure(name: string, journal: ExecutionJournal | undefined): Promise<void> {
  const ex = new CommandExecutor({ journal, resolve: () => ({ kind: 'execute', action: { summary: 'write', run: async () => ({}) } }) });
  for (let i = 0; i < 200; i++) await ex.handle(command(i, `${name}-warm`));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await ex.handle(command(i, name));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${name.padEnd(22)} ${Math.round(n / s).toLocaleString('en-US').padStart(10)} commands/s  ${((s / n) * 1e6).toFixed(1).padStart(8)} µs/command  (${n} in ${s.toFixed(3)} s)`);
  journal?.close();
}

try {
  await measure('no journal', undefined);
  await measure('journal in memory', new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000 }));
  await measure('journal on disk', new ExecutionJournal({ path: join(dir, 'journal.sqlite'), retainMs: 3_600_000 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
