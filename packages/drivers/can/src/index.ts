/**
 * `@busbar/driver-can`: a DBC codec of our own, CAN transports behind one interface (SocketCAN,
 * socketcand, in-memory), a receiver with staleness timers, BMU discovery and a SYNC sender, and a
 * socketcand-protocol virtual bus. See README.md (the protocol page).
 */
export { ERROR_CODES, CanError } from './errors.js';
export type { CanErrorCode } from './errors.js';

export { parseDbc } from './codec/dbc.js';
export type { Dbc, DbcMessage, DbcSignal, DbcNode, ParseDbcOptions, AttributeDefinition, AttributeValue, ByteOrder, SignalValueType } from './codec/dbc.js';
export { decodeFrame, decodeMessage, encodeFrame, encodeMessage } from './codec/signals.js';
export type { DecodedMessage, EncodeOptions } from './codec/signals.js';
export { MAX_STANDARD_ID, MAX_EXTENDED_ID, formatCanId } from './codec/frame.js';
export type { CanFrame } from './codec/frame.js';
export { RIG_BMU_PDO_BASES, SYNC_COB_ID, SDO_REQUEST_BASE, SDO_RESPONSE_BASE, nodeOfCobId, checkNodeIdRange } from './codec/canopen.js';
export type { NodeIdRange, NodePdo } from './codec/canopen.js';

export type { CanTransport } from './client/transport.js';
export { MemoryCanBus, MemoryCanTransport } from './client/memory.js';
export { connectSocketcand, SocketcandTransport, DEFAULT_SOCKETCAND_PORT } from './client/socketcand.js';
export type { SocketcandOptions } from './client/socketcand.js';
export { openSocketCan, SocketCanTransport } from './client/socketcan.js';
export type { SocketCanOptions } from './client/socketcan.js';
export { CanReceiver, startSyncSender, systemScheduler, DEFAULT_STALE_AFTER_MS, DEFAULT_STALE_CYCLES } from './client/receiver.js';
export type { Scheduler, ReceiverOptions, ReceiverEvents, ReceivedMessage, StaleReport, SyncSender, SyncSenderOptions } from './client/receiver.js';

export { startSocketcandServer } from './simulator/server.js';
export type { SocketcandServer, SocketcandServerOptions, RelayedFrame } from './simulator/server.js';
