/**
 * `@busbar/testkit`: real servers for tests, the demo and CI, on 127.0.0.1 with ephemeral ports,
 * disposed deterministically (`await using`, or `stop()`/`dispose()`). Test-only: appears in
 * devDependencies and test files only.
 *
 * Servers: Kafka, InfluxDB, SMTP, a schema registry (Apicurio, Confluent-compatible API),
 * PostgreSQL, MariaDB and Alertmanager (Debian packages).
 * Binaries come from `${BUSBAR_CACHE_DIR:-~/.cache/busbar}`, filled by `scripts/infra/fetch-all.sh`.
 */
export { startKafka } from './kafka.js';
export type { KafkaHandle } from './kafka.js';
export { startInflux } from './influx.js';
export type { InfluxHandle } from './influx.js';
export { startSchemaRegistry } from './schema-registry.js';
export type { SchemaRegistryHandle } from './schema-registry.js';
export { startSmtp } from './smtp.js';
export { startPostgres } from './postgres.js';
export type { PostgresHandle } from './postgres.js';
export { startMariadb } from './mariadb.js';
export type { MariadbHandle } from './mariadb.js';
export { startAlertmanager } from './alertmanager.js';
export type { AlertmanagerHandle } from './alertmanager.js';
export type { SmtpHandle } from './smtp.js';
export { freePort } from './ports.js';
export { cacheDir, DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION, kafkaHome } from './paths.js';
export { ERROR_CODES } from './errors.js';
