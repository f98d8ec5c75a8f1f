/**
 * Error codes raised by `@busbar/actions` beyond those of `@busbar/safety` and the drivers: one
 * catalogue for the package (the Maccor codes moved to `@busbar/module-maccor`; the Corus actions
 * raise the generic `BB_COMMAND_*` codes and their driver's).
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/actions` (docs/errors.md). */
export const ERROR_CODES = {} as const satisfies ErrorCatalogue;
