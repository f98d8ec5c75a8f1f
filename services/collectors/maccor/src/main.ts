#!/usr/bin/env node
/** Entry point: `busbar-collector-maccor --config collector.yaml [--test]` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { runTestMode, startMaccorCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-maccor',
  load: (file) => loadCollectorConfig(file),
  ops: (config) => config.ops,
  start: (config, ctx) => startMaccorCollector(config, ctx),
  test: (config, deps) => runTestMode(config.devices, deps),
});
