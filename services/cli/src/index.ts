/** `@busbar/cli` (private): the `busbar` command line, exported for its tests. */
export { runCli } from './program.js';
export type { CliIo } from './io.js';
