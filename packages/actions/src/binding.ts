/**
 * How the commander plugs in a protocol: a binding knows its configured devices and turns a
 * command for one of them into a {@link Disposition} (execute here, or route to the collector
 * that owns a single-session device), refusing what its limits forbid.
 */
import type { Command } from '@busbar/avro';
import type { Disposition } from '@busbar/commands';

/** One protocol's devices, as the commander sees them. */
export interface ProtocolBinding {
  /** Protocol name (`modbus`, `arbin-cti`, ...). */
  readonly protocol: string;
  /** Action namespace, e.g. `modbus.` — an action outside it is refused for this protocol's devices. */
  readonly actionPrefix: string;
  /** Whether `deviceId` is one of this binding's configured devices. */
  has(deviceId: string): boolean;
  /**
   * Validates `cmd` (pure: nothing is sent before it returns) and says what to do.
   *
   * @throws {CommandRefusedError} (or a driver's refusal) when the command is not acceptable.
   */
  resolve(cmd: Command): Disposition;
  /** Closes the binding's device connections. */
  close(): Promise<void>;
}
