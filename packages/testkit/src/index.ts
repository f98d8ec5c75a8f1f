/**
 * `@busbar/testkit`: real servers for tests, the demo and CI, on 127.0.0.1 with ephemeral ports,
 * disposed deterministically (`await using`, or `stop()`/`dispose()`). Test-only: appears in
 * devDependencies and test files only.
 *
 * Binaries come from `${BUSBAR_CACHE_DIR:-~/.cache/busbar}`, filled by `scripts/infra/fetch-all.sh`.
 */
export { startKafka } from './kafka.js';
export type { KafkaHandle, KafkaOptions } from './kafka.js';
export { startInflux } from './influx.js';
export type { InfluxHandle, InfluxOptions } from './influx.js';
export { startSmtp } from './smtp.js';
export { startPostgres, DEFAULT_POSTGRES_MAJOR } from './postgres.js';
export type { PostgresHandle, PostgresOptions } from './postgres.js';
export { startMariadb } from './mariadb.js';
export type { MariadbHandle, MariadbOptions } from './mariadb.js';
export type { ReceivedMail, SmtpHandle, SmtpOptions } from './smtp.js';
export { chooseBackend, testcontainersAvailable } from './backend.js';
export type { Backend } from './backend.js';
export { freePort, LOOPBACK } from './ports.js';
export { cacheDir, DEFAULT_INFLUXD_VERSION, DEFAULT_KAFKA_VERSION, influxdBinary, kafkaHome } from './paths.js';
export { ERROR_CODES, TestkitError } from './errors.js';
export type { TestkitErrorCode } from './errors.js';
