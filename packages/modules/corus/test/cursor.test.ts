/** Backfill cursors: atomic files, and a corrupt file is refused rather than guessed around. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorStore } from '../src/cursor.js';

describe('modules > corus > cursor store', () => {
  it('round-trips cursors, creating the directory, leaving no temp file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'corus-cur-')), 'nested', 'state');
    const s = new CursorStore(dir);
    expect(await s.load('corus-1')).toEqual({});
    await s.save('corus-1', { interval: { lastRecordMs: 1602072000000, lastRecordDeviceTime: '2020-10-07T12:00:00' } });
    await s.save('corus-1', { interval: { lastRecordMs: 1602072900000, lastRecordDeviceTime: '2020-10-07T12:15:00' } });
    expect(await s.load('corus-1')).toEqual({ interval: { lastRecordMs: 1602072900000, lastRecordDeviceTime: '2020-10-07T12:15:00' } });
    expect(readdirSync(dir)).toEqual(['corus-1.json']);
  });

  it('round-trips the policy fields (record key, sequence, set-back marks); a file without them stays valid', async () => {
    const s = new CursorStore(mkdtempSync(join(tmpdir(), 'corus-cur-')));
    const full = { lastRecordMs: 1602072000000, lastRecordDeviceTime: '2020-10-07T12:00:00', lastRecordKey: '0f00aa', lastRecordSequence: 41, highWaterMs: 1602079200000, rescanFromMs: 1602071100000 };
    await s.save('corus-1', { interval: full, daily: { lastRecordMs: 1602050400000, lastRecordDeviceTime: '2020-10-07T06:00:00' } });
    expect(await s.load('corus-1')).toEqual({ interval: full, daily: { lastRecordMs: 1602050400000, lastRecordDeviceTime: '2020-10-07T06:00:00' } });
  });

  it.each([
    ['not json', '{', 'is not JSON'],
    ['a key that is no text', '{"version":1,"logs":{"interval":{"lastRecordMs":1,"lastRecordDeviceTime":"t","lastRecordKey":5}}}', 'logs.interval.lastRecordKey must be text'],
    ['a set-back mark that is no integer', '{"version":1,"logs":{"interval":{"lastRecordMs":1,"lastRecordDeviceTime":"t","highWaterMs":"soon"}}}', 'logs.interval.highWaterMs must be an integer'],
    ['wrong version', '{"version":2,"logs":{}}', 'not a version 1 cursor file'],
    ['bad field', '{"version":1,"logs":{"interval":{"lastRecordMs":"x","lastRecordDeviceTime":"t"}}}', 'logs.interval needs lastRecordMs'],
  ])('refuses a cursor file that is %s with BB_CORUS_COLLECTOR_STATE_INVALID', async (_what, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'corus-cur-'));
    writeFileSync(join(dir, 'corus-1.json'), text);
    const err = await new CursorStore(dir).load('corus-1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BB_CORUS_COLLECTOR_STATE_INVALID' });
    expect((err as Error).message).toContain(message);
  });

  it('reports an unwritable directory as BB_CORUS_COLLECTOR_STATE_WRITE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corus-cur-'));
    writeFileSync(join(dir, 'file'), '');
    await expect(new CursorStore(join(dir, 'file', 'sub')).save('d', {})).rejects.toMatchObject({ code: 'BB_CORUS_COLLECTOR_STATE_WRITE' });
  });
});
