#!/usr/bin/env node
/** Entry point: `busbar-commander --config commander.yaml` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { loadCommanderConfig } from './config.js';
import { startCommander } from './commander.js';

await serviceMain({ name: 'commander', load: (file) => loadCommanderConfig(file), ops: (config) => config.ops, start: (config, ctx) => startCommander(config, ctx) });
