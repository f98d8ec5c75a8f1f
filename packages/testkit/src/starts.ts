/**
 * A count of server starts, for measuring how many servers a test run starts: when
 * `BUSBAR_TESTKIT_START_LOG` names a file, every start of a Kafka, InfluxDB or SMTP server by
 * this package (in any process of the run: Vitest's main process, its workers, a child such as
 * the demo) appends one line `<kind> <pid> <ISO time>` to it. Without the variable nothing is written.
 */
import { appendFileSync } from 'node:fs';

/** The server kinds this package starts. */
export type ServerKind = 'kafka' | 'influx' | 'smtp';

/**
 * Appends `<kind> <pid> <ISO time>` to `$BUSBAR_TESTKIT_START_LOG` when it is set; never throws
 * (a start is not made to fail by its count).
 * @param kind - which server was started.
 */
export function noteStart(kind: ServerKind): void {
  const file = process.env['BUSBAR_TESTKIT_START_LOG'];
  if (file === undefined || file === '') return;
  try {
    appendFileSync(file, `${kind} ${process.pid} ${new Date().toISOString()}\n`);
  } catch {
    // counting is best effort
  }
}
