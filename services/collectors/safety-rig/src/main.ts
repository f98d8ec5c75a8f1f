#!/usr/bin/env node
/** Entry point: `busbar-collector-safety-rig --config collector.yaml [--test]` (or `BUSBAR_CONFIG`). */
import { runTestMode, startCollector } from '@busbar/collector-kit';
import { safetyRigModule } from '@busbar/module-safety-rig';
import { serviceMain } from '@busbar/runtime';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-safety-rig',
  load: (file) => loadCollectorConfig(file),
  ops: (config) => config.ops,
  start: (config, ctx) => startCollector(safetyRigModule, 'collector-safety-rig', config, ctx),
  test: (config, deps) => runTestMode(safetyRigModule, config.devices, deps),
});
