/**
 * `@busbar/commands`: the command life cycle shared by the commander and by collectors that own
 * single-session devices — signed commands and the commander's policy (signing.ts, policy.ts, keys.ts), admission (at most once per id, never after expiry), validation (pure,
 * by the protocol module), execution, and exactly one published result per command. Imports
 * `@busbar/core`, `@busbar/avro`, `@busbar/safety` and picomatch (policy globs) only: protocols plug in through
 * {@link Disposition}s, never by being listed here.
 */
export { CommandExecutor } from './executor.js';
export { answersCommandId } from './fields.js';
export type { CommandAuditEvent, Disposition, PreparedAction } from './executor.js';
export { signCommand, verifyCommandSignature } from './signing.js';
export { CommandPolicy } from './policy.js';
export { readCommandKey, signingAlgorithmOf } from './keys.js';
export { CommandPipeline } from './pipeline.js';
export { ExecutionJournal } from './journal.js';
export { ERROR_CODES } from './errors.js';
