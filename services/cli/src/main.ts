#!/usr/bin/env node
/** Entry point of `busbar` (see {@link runCli}; `busbar --help`). */
import { processIo } from './io.js';
import { runCli } from './program.js';

// `busbar tail ... | head`: a closed pipe ends the output quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await runCli(process.argv.slice(2), processIo);
