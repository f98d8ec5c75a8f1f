/** `busbar-topics`: parses the command line, reaches the cluster, creates the topics, prints the report. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { createKafka } from '@busbar/kafka';
import { USAGE, parseTopicsArgs } from './cli.js';
import { busbarTopics, createBusbarTopics } from './topics.js';
import type { AclsCommand, CreateCommand } from './cli.js';
import { aclsFor, applyAcls, kafkaAclsCommands } from './acls.js';

/** Where {@link runTopicsCli} writes (default the process's stdout and stderr). */
export interface CliOutput {
  /** Report lines. */
  readonly out: (line: string) => void;
  /** Errors and warnings. */
  readonly err: (line: string) => void;
}

const processOutput: CliOutput = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };

/**
 * Connects an admin client once the cluster answers: a probe client with few retries is tried every
 * 2 s until `timeoutS` (Kafka may still be starting in a Compose or Kubernetes start-up); the client
 * returned has kafkajs' full retry policy (a fresh cluster may take a while to elect the leaders of
 * new topics: `createTopics` waits for them).
 */
async function connectAdmin(cmd: CreateCommand | AclsCommand, output: CliOutput): Promise<Admin> {
  const deadline = Date.now() + ('timeoutS' in cmd ? cmd.timeoutS : 30) * 1000;
  const kafka = createKafka({ ...cmd.security, brokers: cmd.brokers, clientId: 'busbar-topics', connectionTimeoutMs: 5000 });
  for (;;) {
    const probe = kafka.admin({ retry: { retries: 2 } });
    try {
      await probe.connect();
      await probe.listTopics();
      break;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      output.err(`busbar-topics: ${cmd.brokers.join(',')} not reachable yet (${(err as Error).message}); retrying`);
      await sleep(2000);
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** The message of a kafkajs error, with the per-topic errors of a refused CreateTopics request (a KafkaJSAggregateError). */
function describeError(err: unknown): string {
  const e = err as Error & { errors?: Array<{ topic?: string; message?: string }> };
  const details = (e.errors ?? []).map((t) => `${t.topic ?? '?'}: ${t.message ?? ''}`);
  return details.length > 0 ? `${e.message} (${details.join('; ')})` : e.message;
}

/**
 * Runs `busbar-topics` with `argv`.
 *
 * @returns the exit code: 0 done (or `--help`), 1 cluster unreachable or a request refused, 2 usage or configuration error.
 */
export async function runTopicsCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, output: CliOutput = processOutput): Promise<number> {
  let cmd: CreateCommand | AclsCommand | 'help';
  try {
    cmd = parseTopicsArgs(argv, env);
  } catch (err) {
    output.err(`busbar-topics: ${(err as Error).message}`);
    output.err(USAGE);
    return 2;
  }
  if (cmd === 'help') {
    output.out(USAGE);
    return 0;
  }
  if ('command' in cmd) return runAcls(cmd, output);
  const topics = busbarTopics(cmd.names, { partitions: cmd.partitions, retentionMs: cmd.retentionMs, alerterStateTopics: cmd.alerterStateTopics });
  let admin: Admin | undefined;
  try {
    admin = await connectAdmin(cmd, output);
    const reports = await createBusbarTopics(admin, topics, { replicationFactor: cmd.replicationFactor, dryRun: cmd.dryRun });
    for (const r of reports) {
      output.out(`${r.topic}  ${r.action}  partitions=${r.partitions}${r.changed.length > 0 ? `  ${r.changed.join(', ')}` : ''}`);
      if (r.warning) output.err(`busbar-topics: warning: ${r.topic} ${r.warning}`);
    }
    return 0;
  } catch (err) {
    output.err(`busbar-topics: ${describeError(err)}`);
    return 1;
  } finally {
    await admin?.disconnect().catch(() => undefined);
  }
}

/** `busbar-topics acls`: prints the `kafka-acls.sh` lines of the grants, or applies them (`--apply`). */
async function runAcls(cmd: AclsCommand, output: CliOutput): Promise<number> {
  const acls = cmd.grants.flatMap((g) => aclsFor(g, cmd.names));
  if (!cmd.apply) {
    for (const line of kafkaAclsCommands(acls, cmd.brokers.join(','), cmd.commandConfig)) output.out(line);
    return 0;
  }
  let admin: Admin | undefined;
  try {
    admin = await connectAdmin(cmd, output);
    await applyAcls(admin, acls);
    for (const a of acls) output.out(`${a.principal}  ${a.operation}  ${a.resourceType.toLowerCase()} ${a.resourceName}${a.patternType === 'PREFIXED' ? '*' : ''}  applied`);
    return 0;
  } catch (err) {
    output.err(`busbar-topics: ${describeError(err)}`);
    return 1;
  } finally {
    await admin?.disconnect().catch(() => undefined);
  }
}
