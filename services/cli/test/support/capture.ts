/** A {@link CliIo} that keeps what the CLI printed, for tests. */
import type { CliIo } from '../../src/io.js';

/** The captured lines of one run. */
export type CapturedIo = CliIo & { stdout: string[]; stderr: string[] };

/** A fresh capture with `env` as the environment. */
export function capture(env: NodeJS.ProcessEnv = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), env };
}
