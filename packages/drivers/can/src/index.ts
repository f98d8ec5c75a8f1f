/**
 * `@busbar/driver-can`: a DBC codec of our own, CAN transports behind one interface (SocketCAN,
 * socketcand, in-memory), a receiver with staleness timers, BMU discovery and a SYNC sender, and a
 * socketcand-protocol virtual bus. See README.md (the protocol page).
 *
 * The public surface: the codec's entry points (`parseDbc`, encode/decode of frames and messages),
 * the transports' openers, the receiver and SYNC sender, the simulator (socketcand server) and the
 * errors. Constants, CANopen helpers and the transports' classes are internal.
 */
export { ERROR_CODES } from './errors.js';
/** @public the driver's error class, for `instanceof` checks by callers. */
export { CanError } from './errors.js';

export { parseDbc } from './codec/dbc.js';
export type { Dbc } from './codec/dbc.js';
export { decodeMessage, encodeFrame, encodeMessage } from './codec/signals.js';
/** @public the codec's frame decoder (a raw frame → the DBC message's signals), beside `decodeMessage`. */
export { decodeFrame } from './codec/signals.js';
export type { CanFrame } from './codec/frame.js';

export type { CanTransport } from './client/transport.js';
export { connectSocketcand } from './client/socketcand.js';
/** @public the native Linux transport (npm `socketcan`), for rigs whose computer has the CAN interface itself. */
export { openSocketCan } from './client/socketcan.js';
/** @public the in-memory bus, for module tests without a CAN interface. */
export { MemoryCanBus } from './client/memory.js';
export { CanReceiver, startSyncSender } from './client/receiver.js';
export type { SyncSender } from './client/receiver.js';

export { startSocketcandServer } from './simulator/server.js';
export type { SocketcandServer } from './simulator/server.js';
