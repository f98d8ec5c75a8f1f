#!/usr/bin/env node
/** Entry point: `busbar-commander --config commander.yaml` (or `BUSBAR_CONFIG`). */
import { parseArgs } from 'node:util';
import { runService } from '@busbar/runtime';
import { loadCommanderConfig } from './config.js';
import { startCommander } from './commander.js';

const { values: args } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
try {
  const config = loadCommanderConfig(args.config ?? process.env.BUSBAR_CONFIG);
  await runService({ name: 'commander', opsHost: config.ops.host, opsPort: config.ops.port, start: (ctx) => startCommander(config, ctx) });
} catch (err) {
  process.stderr.write(`busbar-commander: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
