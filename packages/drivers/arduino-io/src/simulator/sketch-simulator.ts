/**
 * A simulator of the rig's Arduino sketch (safety-rig reference §5), on a serial port (a pty end in
 * tests, see `openPtyPair`):
 *
 * - prints `Ardu_Temp1:<n>,Ardu_Temp2:<n>,Ardu_Press:<n>` + CR LF every `intervalMs` (1000 like the
 *   sketch), the counts settable at any time ({@link SketchSimulator.setAnalog});
 * - obeys pin commands the way the sketch does: it collects received bytes, and once they have been
 *   quiet for `commandQuietMs` (the sketch's 1 s `readBytes` timeout) takes at most 30 bytes, splits
 *   on `&` and `:`, `atoi`s both parts and "writes" the pin — ANY pin, as the firmware would;
 * - sends nothing back for a command (the sketch has no acknowledgement);
 * - for fault tests: `pause()`/`resume()` the line output, `sendRaw()` arbitrary bytes.
 */
import { SerialPort } from 'serialport';
import { encodeReadingLine } from '../codec/reading-line.js';
import type { RawReading } from '../codec/reading-line.js';
import { parseOutputCommandLikeSketch, SKETCH_COMMAND_MAX_BYTES } from '../codec/output-command.js';

/** Options of {@link startSketchSimulator}. */
export interface SketchSimulatorOptions {
  /** Serial device to open (the simulator's pty end). */
  readonly path: string;
  /** Baud rate. @default 9600 */
  readonly baudRate?: number;
  /** Period of reading lines, ms. @default 1000 */
  readonly intervalMs?: number;
  /** Quiet time that ends a command read, ms. @default 1000 (the sketch's Serial timeout) */
  readonly commandQuietMs?: number;
  /** Initial analog counts. @default 512 each */
  readonly analog?: Partial<RawReading>;
}

/** A running sketch simulator. */
export interface SketchSimulator {
  /** Pin levels written so far (pin → level, non-zero = high); the sketch's outputs start low. */
  readonly pins: ReadonlyMap<number, boolean>;
  /** Every command as the sketch read it (≤ 30 bytes each), in order. */
  readonly commands: readonly string[];
  /** Sets analog counts (0..1023) for the next lines. */
  setAnalog(values: Partial<RawReading>): void;
  /** Stops printing lines (a hung sketch), keeps the port open. */
  pause(): void;
  /** Resumes printing. */
  resume(): void;
  /** Writes raw bytes to the line (malformed-line tests). */
  sendRaw(data: string | Uint8Array): Promise<void>;
  /** Resolves when the next command has been processed. */
  nextCommand(): Promise<string>;
  /** Stops and closes the port. */
  close(): Promise<void>;
}

/** The sketch's output pins, driven low at power-up (reference §5: 7, 6, 5, 3, 4). */
const SKETCH_OUTPUT_PINS = [7, 6, 5, 3, 4] as const;

/**
 * Opens `path` and starts the sketch simulation.
 *
 * @throws {Error} the serialport error when the port cannot be opened.
 */
export async function startSketchSimulator(options: SketchSimulatorOptions): Promise<SketchSimulator> {
  const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', () => undefined);
  const analog: { -readonly [K in keyof RawReading]: number } = { temperature1Counts: 512, temperature2Counts: 512, pressureCounts: 512, ...options.analog };
  const pins = new Map<number, boolean>(SKETCH_OUTPUT_PINS.map((p) => [p, false]));
  const commands: string[] = [];
  const waiters: ((c: string) => void)[] = [];
  let rx = Buffer.alloc(0);
  let quietTimer: NodeJS.Timeout | undefined;
  let paused = false;
  const quietMs = options.commandQuietMs ?? 1000;

  const processCommand = (): void => {
    while (rx.length > 0) {
      const take = rx.subarray(0, SKETCH_COMMAND_MAX_BYTES).toString('latin1');
      rx = rx.subarray(Math.min(rx.length, SKETCH_COMMAND_MAX_BYTES));
      commands.push(take);
      for (const [pin, value] of parseOutputCommandLikeSketch(take)) pins.set(pin, value !== 0);
      for (const w of waiters.splice(0)) w(take);
    }
  };
  port.on('data', (chunk: Buffer) => {
    rx = Buffer.concat([rx, chunk]);
    clearTimeout(quietTimer);
    quietTimer = setTimeout(processCommand, quietMs);
  });
  const timer = setInterval(() => {
    if (!paused && port.isOpen) port.write(encodeReadingLine(analog));
  }, options.intervalMs ?? 1000);

  return {
    pins,
    commands,
    setAnalog: (values) => Object.assign(analog, values),
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    sendRaw: (data) => new Promise((resolve, reject) => port.write(data, (err) => (err ? reject(err) : port.drain(() => resolve())))),
    nextCommand: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      clearInterval(timer);
      clearTimeout(quietTimer);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
