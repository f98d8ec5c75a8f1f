/**
 * `@busbar/driver-arduino-io`: the battery safety rig's Arduino sketch (two thermistors and a pressure
 * transducer in, pump/fan/relay pins out) over a serial line. See README.md and the safety-rig
 * reference §5.
 *
 * - codec (pure): `LineFramer`, `decodeReadingLine`, `encodeOutputCommand`, `parseArduinoIoConfig`,
 *   `convertReading` (thermistor table with correct interpolation, pressure scale);
 * - client: `ArduinoIoClient` (serialport; opens once, reports loss, pin whitelist);
 * - simulator: `startSketchSimulator`, and `openPtyPair` (socat) to connect it to the client.
 */
export { ArduinoError, ERROR_CODES } from './errors.js';
export type { ArduinoErrorCode } from './errors.js';
export { LineFramer } from './codec/line-framer.js';
export type { FramedLine } from './codec/line-framer.js';
export { decodeReadingLine, encodeReadingLine } from './codec/reading-line.js';
export type { RawReading } from './codec/reading-line.js';
export { encodeOutputCommand } from './codec/output-command.js';
export type { PinLevels } from './codec/output-command.js';
export { convertReading } from './codec/conversion.js';
export type { ArduinoReading, ConvertedValue, RangeStatus, ThermistorRow } from './codec/conversion.js';
export { parseArduinoIoConfig } from './codec/config.js';
export type { ArduinoIoConfig, ArduinoIoConfigInput } from './codec/config.js';
export { ArduinoIoClient } from './client/arduino-io-client.js';
export type { ArduinoIoClientEvents, ArduinoIoClientOptions, SetOutputsOptions, SetOutputsResult, TimedReading } from './client/arduino-io-client.js';
export { startSketchSimulator } from './simulator/sketch-simulator.js';
export type { SketchSimulator, SketchSimulatorOptions } from './simulator/sketch-simulator.js';
export { openPtyPair } from './simulator/pty-pair.js';
export type { PtyPair } from './simulator/pty-pair.js';
