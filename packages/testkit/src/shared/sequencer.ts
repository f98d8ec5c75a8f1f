/**
 * The test sequencer of the Vitest run (`sequence.sequencer` in vitest.config.ts): Vitest's own
 * order (failed first, then longest first by the cached durations, or largest file first without
 * them), except that the integration files which call `runsAlone()` come first. They hold the run's
 * file lock exclusive (`file-lock.ts`): started while no other file runs, they wait for nobody;
 * started later, each would idle the second worker until the files it runs beside are done.
 */
import { readFileSync } from 'node:fs';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/** Vitest's BaseSequencer, with the files that call `runsAlone(` moved to the front (in its order). */
export class RunsAloneFirstSequencer extends BaseSequencer {
  /**
   * @param files - the run's test files.
   * @returns the same files, `runsAlone` ones first.
   */
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const alone = new Set(sorted.filter((s) => callsRunsAlone(s.moduleId)));
    return [...sorted.filter((s) => alone.has(s)), ...sorted.filter((s) => !alone.has(s))];
  }
}

/** Whether the test file at `path` calls `runsAlone(` (an unreadable file: no). */
function callsRunsAlone(path: string): boolean {
  try {
    return /^runsAlone\(/m.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}
