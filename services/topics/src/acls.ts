/**
 * The Kafka ACLs each Busbar service needs, as data, printed as `kafka-acls.sh` commands or applied
 * through the admin API (CreateAcls). docs/security.md explains the set; the principals are the SASL
 * users of `kafka.sasl.username` (`User:<username>`).
 *
 * Kafka facts (Apache Kafka documentation, "Security" §7.5 "Authorization and ACLs", Kafka 4.x):
 * READ, WRITE, DELETE and ALTER on a resource imply DESCRIBE; an idempotent producer needs WRITE on
 * a topic (KIP-679: IdempotentWrite is implied); a consumer group needs READ on the group; the
 * admin `listTopics` shows only the topics the principal may DESCRIBE; CREATE on a topic lets a
 * principal create that topic.
 */
import type { Admin, AclEntry } from 'kafkajs';
import kafkajs from 'kafkajs';
import { DEFAULT_ALERT_CONTROL_TOPIC, DEFAULT_SILENCES_TOPIC } from '@busbar/alert-control';
import type { TopicsConfig } from '@busbar/kafka';

// kafkajs is CommonJS: its enums are not among Node's detected named exports
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** A Busbar role that connects to Kafka, and what it is called with. */
export type AclGrant =
  /** A collector: publishes readings, events and results, consumes routed commands in its group (default prefix `busbar-collector-`). */
  | { readonly role: 'collector'; readonly principal: string; readonly groupId?: string }
  /** The commander: consumes commands (group `groupId`, default `busbar-commander`), routes and answers them. */
  | { readonly role: 'commander'; readonly principal: string; readonly groupId?: string }
  /** The historian: consumes readings, events, results and alerts (group default `busbar-historian`). */
  | { readonly role: 'historian'; readonly principal: string; readonly groupId?: string }
  /**
   * The alerter: consumes readings, publishes alerts, keeps its rule state (group default
   * `busbar-alerter`; state topic `busbar.alerter-state.<groupId>.v1`), reads the alerts topic in
   * one group per notification channel (`<groupId>.notify.<channel>`) and acknowledgements from the
   * alert-control topic (default `busbar.alert-control.v1`, group `<groupId>.acks`), and follows
   * the silences topic (default `busbar.alert-silences.v1`, created by it) in `busbar-table-` groups.
   */
  | { readonly role: 'alerter'; readonly principal: string; readonly groupId?: string; readonly stateTopic?: string; readonly alertControlTopic?: string; readonly silencesTopic?: string }
  /**
   * Whoever sends commands and handles alerts (an operator, the `busbar` CLI, a lab scheduler):
   * writes commands and reads their results; writes acknowledgements on the alert-control topic and
   * reads the alerts topic (`alert ack --wait`); writes and reads the silences topic (`silence add|list|expire`).
   */
  | { readonly role: 'issuer'; readonly principal: string; readonly alertControlTopic?: string; readonly silencesTopic?: string };

/** One ACL: `principal` is allowed `operation` on the resource, from any host. */
export interface BusbarAcl {
  /** `User:<name>`. */
  readonly principal: string;
  /** Kafka operation. */
  readonly operation: 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE';
  /** Resource type. */
  readonly resourceType: 'TOPIC' | 'GROUP';
  /** Resource name, or prefix when `patternType` is PREFIXED. */
  readonly resourceName: string;
  /** LITERAL (exact name) or PREFIXED. */
  readonly patternType: 'LITERAL' | 'PREFIXED';
}

/** Consumer-group prefixes of the short-lived groups `@busbar/kafka` makes: `readTopicToEnd` and `CompactedTable`. */
const REPLAY_GROUP = 'busbar-replay-';
/** Prefix of the `busbar` CLI's throw-away consumer groups (`command send --wait`, `tail`). */
const CLI_GROUP = 'busbar-cli-';
const TABLE_GROUP = 'busbar-table-';

function principalOf(p: string): string {
  return p.includes(':') ? p : `User:${p}`;
}

/**
 * The ACLs one grant needs, with the deployment's topic names.
 *
 * @param grant - the role and its principal (`User:commander`, or just `commander`).
 * @param topics - the `topics:` section (defaults: `DEFAULT_TOPICS`).
 * @returns the ACL list, allow only (Busbar needs no DENY), in a stable order.
 */
export function aclsFor(grant: AclGrant, topics: TopicsConfig): BusbarAcl[] {
  const principal = principalOf(grant.principal);
  const topic = (operation: BusbarAcl['operation'], resourceName: string): BusbarAcl => ({ principal, operation, resourceType: 'TOPIC', resourceName, patternType: 'LITERAL' });
  const group = (resourceName: string, patternType: BusbarAcl['patternType'] = 'LITERAL'): BusbarAcl => ({ principal, operation: 'READ', resourceType: 'GROUP', resourceName, patternType });
  switch (grant.role) {
    case 'collector':
      return [
        topic('WRITE', topics.readings),
        topic('WRITE', topics.deviceEvents),
        topic('WRITE', topics.commandResults),
        topic('READ', topics.commandResults),
        topic('READ', topics.deviceCommands),
        topic('WRITE', topics.deadLetter),
        grant.groupId === undefined ? group('busbar-collector-', 'PREFIXED') : group(grant.groupId),
        group(REPLAY_GROUP, 'PREFIXED'),
      ];
    case 'commander':
      return [
        topic('READ', topics.commands),
        topic('WRITE', topics.deviceCommands),
        topic('WRITE', topics.commandResults),
        topic('READ', topics.commandResults),
        topic('WRITE', topics.deadLetter),
        group(grant.groupId ?? 'busbar-commander'),
        group(REPLAY_GROUP, 'PREFIXED'),
      ];
    case 'historian':
      return [
        topic('READ', topics.readings),
        topic('READ', topics.deviceEvents),
        topic('READ', topics.commandResults),
        topic('READ', topics.alerts),
        topic('WRITE', topics.deadLetter),
        group(grant.groupId ?? 'busbar-historian'),
      ];
    case 'alerter': {
      const groupId = grant.groupId ?? 'busbar-alerter';
      const state = grant.stateTopic ?? `busbar.alerter-state.${groupId}.v1`;
      const control = grant.alertControlTopic ?? DEFAULT_ALERT_CONTROL_TOPIC;
      const silences = grant.silencesTopic ?? DEFAULT_SILENCES_TOPIC;
      return [
        topic('READ', topics.readings),
        topic('WRITE', topics.alerts),
        topic('READ', topics.alerts), // the notification channels' consumer groups
        topic('CREATE', control),
        topic('READ', control),
        topic('CREATE', silences),
        topic('READ', silences),
        topic('WRITE', topics.deadLetter),
        topic('CREATE', state),
        topic('READ', state),
        topic('WRITE', state),
        group(groupId),
        group(`${groupId}.notify.`, 'PREFIXED'),
        group(`${groupId}.acks`),
        group(TABLE_GROUP, 'PREFIXED'),
      ];
    }
    case 'issuer': {
      // an issuer also acknowledges alerts (an ack record; READ alerts for `alert ack --wait`) and manages silences (the CLI's `silence list|expire` read the topic in a busbar-table- group)
      const silences = grant.silencesTopic ?? DEFAULT_SILENCES_TOPIC;
      return [
        topic('WRITE', topics.commands),
        topic('READ', topics.commandResults),
        topic('WRITE', grant.alertControlTopic ?? DEFAULT_ALERT_CONTROL_TOPIC),
        topic('READ', topics.alerts),
        topic('WRITE', silences),
        topic('READ', silences),
        group(REPLAY_GROUP, 'PREFIXED'),
        group(CLI_GROUP, 'PREFIXED'),
        group(TABLE_GROUP, 'PREFIXED'),
      ];
    }
  }
}

const OPERATION_NAMES: Record<BusbarAcl['operation'], string> = { READ: 'Read', WRITE: 'Write', CREATE: 'Create', DESCRIBE: 'Describe' };

/**
 * The ACLs as `kafka-acls.sh` command lines (Kafka's own tool), one per ACL.
 *
 * @param acls - from {@link aclsFor}.
 * @param bootstrap - `--bootstrap-server` value.
 * @param commandConfig - `--command-config` file (the admin's SASL/TLS client properties), if any.
 */
export function kafkaAclsCommands(acls: readonly BusbarAcl[], bootstrap: string, commandConfig?: string): string[] {
  return acls.map((a) =>
    [
      'kafka-acls.sh',
      `--bootstrap-server ${bootstrap}`,
      ...(commandConfig === undefined ? [] : [`--command-config ${commandConfig}`]),
      '--add',
      `--allow-principal ${a.principal}`,
      `--operation ${OPERATION_NAMES[a.operation]}`,
      `--${a.resourceType === 'TOPIC' ? 'topic' : 'group'} ${a.resourceName}`,
      ...(a.patternType === 'PREFIXED' ? ['--resource-pattern-type prefixed'] : []),
    ].join(' '),
  );
}

/** The kafkajs CreateAcls entry of one ACL. */
function toKafkajs(a: BusbarAcl): AclEntry {
  return {
    principal: a.principal,
    host: '*',
    operation: AclOperationTypes[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
    resourceType: a.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: a.resourceName,
    resourcePatternType: a.patternType === 'PREFIXED' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
  };
}

/** Identity of an ACL, for comparing what was asked with what the broker describes. */
function keyOf(a: AclEntry): string {
  return [a.principal, a.host, a.operation, a.permissionType, a.resourceType, a.resourceName, a.resourcePatternType].join('\u0000');
}

/**
 * Creates the ACLs through the admin API (idempotent: Kafka keeps one copy of an ACL created twice)
 * and waits until the broker describes every one of them (in KRaft the authorizer learns them from
 * the metadata log a little after CreateAcls returns). The admin's principal needs ALTER and
 * DESCRIBE on the cluster (a super user, typically).
 *
 * @param timeoutMs - longest wait for the ACLs to be in effect, ms (default 15 000).
 * @throws kafkajs' error when the cluster refuses (e.g. `CLUSTER_AUTHORIZATION_FAILED`); an `Error`
 *   naming the missing ACLs after `timeoutMs`.
 */
export async function applyAcls(admin: Admin, acls: readonly BusbarAcl[], timeoutMs = 15_000): Promise<void> {
  if (acls.length === 0) return;
  const wanted = acls.map(toKafkajs);
  await admin.createAcls({ acl: wanted });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const present = new Set(described.resources.flatMap((r) => r.acls.map((a) => keyOf({ ...a, resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType }))));
    const missing = wanted.filter((a) => !present.has(keyOf(a)));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`ACLs not in effect after ${timeoutMs} ms: ${missing.map((a) => `${a.principal} ${a.resourceName}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
