#!/usr/bin/env node
/** Entry point: `busbar-alerter --config alerter.yaml` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { loadAlerterConfig } from './config.js';
import { startAlerter } from './alerter.js';

await serviceMain({ name: 'alerter', load: (file) => loadAlerterConfig(file), ops: (config) => config.ops, start: (config, ctx) => startAlerter(config, ctx) });
