#!/usr/bin/env node
/** Entry point: `busbar-historian --config historian.yaml` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { loadHistorianConfig } from './config.js';
import { startHistorian } from './historian.js';

await serviceMain({ name: 'historian', load: (file) => loadHistorianConfig(file), ops: (config) => config.ops, start: (config, ctx) => startHistorian(config, ctx) });
