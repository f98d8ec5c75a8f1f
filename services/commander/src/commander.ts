/**
 * The commander's composition.
 *
 *   commands topic ─▶ CommandExecutor (signature and policy, once per id, not after expiry, limits)
 *                      ├─▶ device (shared session) ─▶ result
 *                      └─▶ device-commands topic (exclusive session: the owning collector executes
 *                          and publishes the result)
 *   every step ─▶ one audit line (policy.ts auditLogger)
 *
 * At start it reads the results topic back (bounded by the command lifetime) so that a command
 * id answered before a restart is not executed again; an id executed (or started) before a crash
 * whose result never reached the topic is answered from the execution journal, not run again.
 */
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError } from '@busbar/core';
import { CommandExecutor, CommandPipeline, ExecutionJournal, answersCommandId } from '@busbar/commands';
import type { Disposition } from '@busbar/commands';
import { modbusModule } from '@busbar/module-modbus';
import { safetyRigModule } from '@busbar/module-safety-rig';
import { SharedSessions, commandResolver, deviceTable } from '@busbar/protocol';
import type { AnyProtocolModule, DeviceConfigBase } from '@busbar/protocol';
import type { Command } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde } from '@busbar/avro';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, healingProducer, readTopicToEnd, retryKafkaStartup, watchProducer } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { arbinModule, basytecModule, corusModule, maccorModule } from './config.js';
import type { CommanderConfig } from './config.js';
import { auditLogger, buildCommandPolicy } from './policy.js';

/** Results are read back from this much before the command lifetime, ms: a margin for clock skew between hosts (producer timestamps). */
const REPLAY_MARGIN_MS = 600_000;

/**
 * Starts the commander.
 *
 * @throws when Kafka cannot be reached at start.
 */
export async function startCommander(config: CommanderConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const route = config.topics.deviceCommands;
  // Protocols on a protocol module: validated by the module, executed here on a shared session, or
  // routed to the collector that owns an exclusive-session device.
  const modules: { module: AnyProtocolModule; devices: readonly DeviceConfigBase[] }[] = [];
  if (config.modbus) modules.push({ module: modbusModule, devices: config.modbus.devices });
  if (config.arbin) modules.push({ module: arbinModule, devices: config.arbin.devices });
  if (config.basytec) modules.push({ module: basytecModule, devices: config.basytec.devices });
  if (config.maccor) modules.push({ module: maccorModule, devices: config.maccor.devices });
  if (config.corus) modules.push({ module: corusModule, devices: config.corus.devices });
  if (config.rig) modules.push({ module: safetyRigModule, devices: config.rig.devices });
  const sessions = new SharedSessions({ logger, metrics });
  const table = deviceTable(modules);
  const resolveModule = commandResolver(table, {
    owner: 'the commander',
    logger,
    place: (entry) => (entry.module.sessionMode(entry.device) === 'exclusive' ? { route } : { run: sessions.run }),
  });
  if (modules.length === 0) throw new BusbarError('BB_CONFIG_INVALID', 'the commander has no device configured: give at least one of modbus, arbin, basytec, maccor, corus, rig');

  // who may run what: keys read from their files now, so a bad key file stops the start
  const policy = buildCommandPolicy(config.policy, config.configDir ?? process.cwd(), logger);

  // kept one lifetime plus the replay margin: beyond that a repeat is refused by its expiry anyway
  const journal = new ExecutionJournal({ path: config.journal.path ?? join('state', `${config.groupId}.journal.sqlite`), retainMs: config.maxCommandLifetimeMs + REPLAY_MARGIN_MS, logger });
  const executor = new CommandExecutor({
    logger,
    metrics,
    journal,
    maxLifetimeMs: config.maxCommandLifetimeMs,
    authorise: (cmd) => policy.authorise(cmd),
    audit: auditLogger(logger),
    resolve: (cmd: Command): Disposition => resolveModule(cmd),
  });

  const kafka = createKafka({ ...config.kafka, clientId: config.kafka.clientId ?? 'busbar-commander' }, logger, metrics);
  const producer: Producer = healingProducer(() => kafka.producer(PRODUCER_OPTIONS), { name: 'results', logger, metrics });
  const producerReady = watchProducer(producer);
  await retryKafkaStartup('producer connect', () => producer.connect(), { logger: logger });
  const results = new RecordPublisher(producer, config.topics.commandResults, commandResultSerde, metrics);
  const routed = new RecordPublisher(producer, config.topics.deviceCommands, commandSerde, metrics);

  // Rebuild the memory of answered ids.
  const since = Date.now() - config.maxCommandLifetimeMs;
  const remembered = await readTopicToEnd({ kafka, topic: config.topics.commandResults, decoder: commandResultSerde, sinceMs: since - REPLAY_MARGIN_MS, logger }, (r) => {
    // a refusal before admission (a forged or malformed command) does not answer its id: skipped
    if (answersCommandId(r)) executor.remember(r.command_id, Date.now() + config.maxCommandLifetimeMs);
  });
  logger.info({ remembered }, 'command ids already answered were loaded from the results topic');

  const pipeline = new CommandPipeline(executor, {
    publishResult: (res) => results.publish([{ key: res.device_id, value: res }]),
    route: (cmd) => routed.publish([{ key: cmd.target.device_id, value: cmd }]),
  });
  const consumer = new DecodingConsumer<Command>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.commands,
    decoder: commandSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    logger,
    metrics,
    handle: async (records) => {
      // one at a time, in order: a command's outcome is published before the next command runs
      for (const r of records) await pipeline.process(r.value);
    },
  });
  await consumer.start();
  const protocols = modules.map((m) => m.module.protocol);
  logger.info({ protocols }, 'commander running');
  return {
    health: () => ({ ok: true, details: { protocols } }),
    // /readyz: Kafka only — device sessions are opened on demand, per command (a device down is a FAILED result, not an unready commander)
    ready: () => ({ kafka_consumer: consumer.readiness(), kafka_producer: producerReady() }),
    stop: async () => {
      await consumer.stop();
      await sessions.close();
      await producer.disconnect();
      journal.close();
    },
  };
}
