/**
 * `@busbar/safety`: pure command checks — at-most-once by id, expiry, parameter limits.
 */
export { CommandGuard } from './guard.js';
export { assertNotExpired, checkRange, CommandRefusedError, requireParameter } from './limits.js';
export { ERROR_CODES } from './errors.js';
