/**
 * `@busbar/driver-arduino-io`: the battery safety rig's Arduino sketch (two thermistors and a pressure
 * transducer in, pump/fan/relay pins out) over a serial line. See README.md and the safety-rig
 * reference §5.
 *
 * The public surface is the client, the configuration parser (the codec's entry: pins, thermistor
 * table, pressure scale), the simulator with its pty pair, and the errors. The line codec
 * (`src/codec`: framing, reading lines, output commands, conversion) is internal: the client uses it.
 */
export { ERROR_CODES } from './errors.js';
/** @public the driver's error class, for `instanceof` checks by callers. */
export { ArduinoError } from './errors.js';
export { parseArduinoIoConfig } from './codec/config.js';
export type { ArduinoIoConfig } from './codec/config.js';
/** @public the input shape `parseArduinoIoConfig` validates, for callers that build a configuration in code. */
export type { ArduinoIoConfigInput } from './codec/config.js';
export { ArduinoIoClient } from './client/arduino-io-client.js';
export type { TimedReading } from './client/arduino-io-client.js';
export { startSketchSimulator } from './simulator/sketch-simulator.js';
export type { SketchSimulator } from './simulator/sketch-simulator.js';
export { openPtyPair } from './simulator/pty-pair.js';
export type { PtyPair } from './simulator/pty-pair.js';
