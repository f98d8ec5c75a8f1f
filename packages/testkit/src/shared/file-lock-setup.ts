/**
 * Vitest setup file of the integration project (`setupFiles` in vitest.config.ts): before the
 * first hook of each test file, takes the run's file lock — `exclusive` when the file called
 * `runsAlone()` (`@busbar/testkit/shared`) while it was collected, `shared` otherwise — and gives
 * it back after the file's last hook. The integration files run two at a time (`maxWorkers: 2`);
 * the lock keeps the files marked `runsAlone` away from all others (see `file-lock.ts`).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { acquireFileLock, releaseFileLock, runsAloneReason } from './index.js';

/** Longest wait for the lock, ms: the other files may hold it for minutes (a run's longest file is ~1.5 min). */
const LOCK_WAIT_MS = 30 * 60_000;

let ticket: string | undefined;

beforeAll(async () => {
  const mode = runsAloneReason() === undefined ? 'shared' : 'exclusive';
  // the pid lets the endpoint give the lock back should this worker die before its afterAll
  const t = `worker-${process.pid}-${randomBytes(4).toString('hex')}`;
  await acquireFileLock(t, mode);
  ticket = t;
}, LOCK_WAIT_MS);

afterAll(async () => {
  if (ticket !== undefined) await releaseFileLock(ticket);
  ticket = undefined;
});
