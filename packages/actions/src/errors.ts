/**
 * Error codes raised by `@busbar/actions` beyond those of `@busbar/safety` and the drivers: one
 * catalogue for the package, gathered from its protocol modules.
 */
import type { ErrorCatalogue } from '@busbar/core';
import { MACCOR_ACTION_ERROR_CODES } from './maccor/errors.js';

/** Codes raised by `@busbar/actions` (docs/errors.md). */
export const ERROR_CODES = { ...MACCOR_ACTION_ERROR_CODES } as const satisfies ErrorCatalogue;
