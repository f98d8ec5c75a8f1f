#!/usr/bin/env node
/** Entry point: `busbar-historian --config historian.yaml` (or `BUSBAR_CONFIG`). */
import { parseArgs } from 'node:util';
import { runService } from '@busbar/runtime';
import { loadHistorianConfig } from './config.js';
import { startHistorian } from './historian.js';

const { values: args } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
try {
  const config = loadHistorianConfig(args.config ?? process.env.BUSBAR_CONFIG);
  await runService({ name: 'historian', opsHost: config.ops.host, opsPort: config.ops.port, start: (ctx) => startHistorian(config, ctx) });
} catch (err) {
  process.stderr.write(`busbar-historian: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
