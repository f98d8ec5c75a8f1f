/**
 * Errors of the BaSyTec driver. Every error is a {@link BusbarError} with a code from
 * {@link ERROR_CODES}; the catalogue is the single list of codes this package raises.
 * "Reference" below is the BaSyTec integration reference (shared/reference/basytec/README.md).
 */
import { BusbarError } from '@busbar/core';
import type { BusbarErrorOptions, ErrorCatalogue } from '@busbar/core';

/** Every code `@busbar/driver-basytec` raises, with its meaning. */
export const ERROR_CODES = {
  BB_BASYTEC_NOT_A_RESULTFILE: { meaning: 'The file does not start with a `~` preamble line, so it is not a BaSyTec Resultfile (reference §3.1, §3.2).' },
  BB_BASYTEC_HEADER_INVALID: { meaning: 'The column header (the last `~` line, reference §3.1) is empty, repeats a column, or lacks both `DataSet` and an elapsed-time column `Time[h|s|h:min:s]`.' },
  BB_BASYTEC_LINE_TOO_LONG: { meaning: 'A line grew beyond the parser cap (64 KiB by default) without a line feed; the partial line is dropped and parsing resumes at the next line feed.' },
  BB_BASYTEC_ROW_COLUMN_COUNT: { meaning: 'A data row has a different number of fields than the header (after re-joining `DateTime` in space-separated files, reference §3.7 item 4); the row is skipped.' },
  BB_BASYTEC_ROW_VALUE_INVALID: { meaning: 'A numeric field of a data row (DataSet, U[V], Time[h:min:s]...) does not parse, or a date/time field is not `dd.mm.yyyy HH:MM:SS`; the row is skipped and the field named.' },
  BB_BASYTEC_TIMESTAMP_UNAVAILABLE: { meaning: 'A row has no `DateTime`, no `Date`+`Time` and the preamble no `Start of Test`: no absolute timestamp can be formed (reference §3.2, §3.8).' },
  BB_BASYTEC_TIME_ZONE_INVALID: { meaning: 'The configured IANA time zone is not known to the runtime (Intl); Resultfile times carry no zone (reference §3.2) so one must be configured.' },
  BB_BASYTEC_CONFIG_INVALID: { meaning: 'A driver configuration value is missing or out of its domain; the message names the field.' },
  BB_BASYTEC_CURSOR_STORE_FAILED: { meaning: 'The cursor store could not read or atomically write its file; the cursor was not advanced.' },
  BB_BASYTEC_FILE_READ_FAILED: { meaning: 'A Resultfile in the watched directory could not be opened, stat-ed or read.' },
  BB_BASYTEC_DB_QUERY_FAILED: { meaning: 'A read-only query of the BaSyTec database (PostgreSQL, MariaDB, SQLite backup) failed; the cursor was not advanced.' },
  BB_BASYTEC_DB_ROW_INVALID: { meaning: 'A database row lacks a mapped column or a value has the wrong type (the mapping is configured, reference §5); the row is skipped.' },
  BB_BASYTEC_RCI_TEMPLATE_INVALID: { meaning: 'An RCI command template names a placeholder that was not given, or a value contains the line terminator; nothing was sent (reference §6: the syntax is not public, so templates are configured).' },
  BB_BASYTEC_RCI_NOT_CONNECTED: { meaning: 'The RCI transport is not open (never opened, lost, or closed); the command was not sent.' },
  BB_BASYTEC_RCI_REFUSED: { meaning: 'The tester answered a command with a reply matching the configured refusal pattern; the reply is in the context.' },
  BB_BASYTEC_RCI_TIMEOUT: { meaning: 'No reply matched within the command timeout after the command was sent; whether the software acted is unknown (reference §6: replies take 1 s to minutes) — re-read the state.' },
  BB_BASYTEC_RCI_UNEXPECTED_REPLY: { meaning: 'A reply matched neither the success nor the refusal pattern of the command template; the outcome is unknown.' },
  BB_BASYTEC_RCI_CONNECTION_LOST: { meaning: 'The RCI transport closed or failed; commands in flight have an unknown outcome, queued ones were not sent.' },
  BB_BASYTEC_RCI_CLOSED: { meaning: 'The RCI client was closed; queued and new commands are refused without being sent.' },
} as const satisfies ErrorCatalogue;

/** One code of {@link ERROR_CODES}. */
export type BasytecErrorCode = keyof typeof ERROR_CODES;

/** Base of every error this driver raises; `code` is one of {@link ERROR_CODES}. */
export class BasytecError extends BusbarError {
  declare readonly code: BasytecErrorCode;
  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - specific: names the file, line, field or value at fault.
   * @param options - cause, retriable, outcome (RCI commands), context.
   */
  constructor(code: BasytecErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Whether `err` is a {@link BasytecError} (also across package copies: by code prefix). */
export function isBasytecError(err: unknown): err is BasytecError {
  return err instanceof BasytecError || (err instanceof Error && typeof (err as unknown as { code?: unknown }).code === 'string' && (err as unknown as { code: string }).code.startsWith('BB_BASYTEC_'));
}
