#!/usr/bin/env node
/** Entry point: `busbar-alerter --config alerter.yaml` (or `BUSBAR_CONFIG`). */
import { parseArgs } from 'node:util';
import { runService } from '@busbar/runtime';
import { loadAlerterConfig } from './config.js';
import { startAlerter } from './alerter.js';

const { values: args } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
try {
  const config = loadAlerterConfig(args.config ?? process.env.BUSBAR_CONFIG);
  await runService({ name: 'alerter', opsHost: config.ops.host, opsPort: config.ops.port, start: (ctx) => startAlerter(config, ctx) });
} catch (err) {
  process.stderr.write(`busbar-alerter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
