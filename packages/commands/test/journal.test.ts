import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BusbarError, ManualClock } from '@busbar/core';
import type { CommandResultInput } from '@busbar/avro';
import { ExecutionJournal } from '../src/journal.js';

const dirs: string[] = [];
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'busbar-journal-'));
  dirs.push(d);
  return join(d, 'sub', 'journal.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const result: CommandResultInput = { command_id: 'c-1', device_id: 'psu-1', channel: 2, action: 'modbus.write', status: 'EXECUTED', reason_code: null, reason: null, timestamp: new Date(Date.UTC(2026, 11, 3, 12)), details: { summary: 'write voltage_setpoint_v = 12' } };

describe('commands > journal > ExecutionJournal', () => {
  it('knows nothing of an id never started; started, then done with its result', () => {
    const clock = new ManualClock(1_000_000);
    const j = new ExecutionJournal({ path: tempFile(), retainMs: 60_000, clock });
    expect(j.lookup('c-1')).toBeUndefined();
    j.started('c-1');
    expect(j.lookup('c-1')).toEqual({ state: 'started', startedAtMs: 1_000_000 });
    clock.advance(5);
    j.done('c-1', result);
    expect(j.lookup('c-1')).toEqual({ state: 'done', startedAtMs: 1_000_000, result });
    j.close();
  });

  it('survives closing and reopening the file (what a restart after kill -9 finds)', () => {
    const path = tempFile();
    const clock = new ManualClock(1_000_000);
    const a = new ExecutionJournal({ path, retainMs: 60_000, clock });
    a.started('c-done');
    a.done('c-done', { ...result, command_id: 'c-done', status: 'FAILED', reason_code: 'BB_X', reason: 'r', details: { outcome: 'unknown' } });
    a.started('c-open');
    a.close();
    const b = new ExecutionJournal({ path, retainMs: 60_000, clock });
    expect(b.lookup('c-open')).toEqual({ state: 'started', startedAtMs: 1_000_000 });
    expect(b.lookup('c-done')).toMatchObject({ state: 'done', result: { command_id: 'c-done', status: 'FAILED', reason_code: 'BB_X', reason: 'r', details: { outcome: 'unknown' }, channel: 2 } });
    expect(b.size).toBe(2);
    b.close();
  });

  it('prunes entries older than retainMs (at open, and at most once a minute when starting)', () => {
    const path = tempFile();
    const clock = new ManualClock(0);
    const a = new ExecutionJournal({ path, retainMs: 120_000, clock });
    a.started('old');
    clock.advance(61_000);
    a.started('newer');
    clock.advance(60_000); // old is 121 s old; the last prune was 60 s ago
    a.started('newest');
    expect(a.lookup('old')).toBeUndefined();
    expect(a.lookup('newer')).toBeDefined();
    a.close();
    clock.advance(100_000);
    const b = new ExecutionJournal({ path, retainMs: 120_000, clock });
    expect(b.lookup('newer')).toBeUndefined();
    expect(b.lookup('newest')).toBeDefined();
    b.close();
  });

  it('a file that is not a journal → BB_COMMAND_JOURNAL_UNUSABLE naming the path', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'busbar-journal-')), 'not-a-journal.sqlite');
    dirs.push(join(file, '..'));
    writeFileSync(file, 'this is not SQLite, it is a text file long enough to have a header'.repeat(10));
    let err: unknown;
    try {
      new ExecutionJournal({ path: file, retainMs: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BusbarError);
    expect((err as BusbarError).code).toBe('BB_COMMAND_JOURNAL_UNUSABLE');
    expect((err as BusbarError).message).toContain(file);
  });

  it('a write after close → BB_COMMAND_JOURNAL_UNUSABLE', () => {
    const j = new ExecutionJournal({ path: ':memory:', retainMs: 1000 });
    j.close();
    expect(() => j.started('c')).toThrow(expect.objectContaining({ code: 'BB_COMMAND_JOURNAL_UNUSABLE' }));
    expect(() => j.lookup('c')).toThrow(expect.objectContaining({ code: 'BB_COMMAND_JOURNAL_UNUSABLE' }));
  });
});
