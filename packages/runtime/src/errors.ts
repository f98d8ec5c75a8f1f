/** Error codes raised by `@busbar/runtime`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/runtime` (documented in docs/errors.md). */
export const ERROR_CODES = {
  BB_CONFIG_UNREADABLE: { meaning: 'The configuration file cannot be read or is not YAML/JSON.' },
  BB_CONFIG_INVALID: { meaning: 'A configuration value fails validation, or a key is unknown; the message names each bad field (list items by id: `devices[id=rack-1].port`) and suggests the nearest key for a misspelt one.' },
  BB_CONFIG_SERVICE_UNKNOWN: { meaning: '`checkConfigFile` was told a service it has no loader for; the message lists the known ones.' },
  BB_METRICS_CONFLICT: { meaning: 'One metric name was declared with two kinds (a programming error).' },
} as const satisfies ErrorCatalogue;
