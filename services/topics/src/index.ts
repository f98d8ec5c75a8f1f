/** `@busbar/topics` (private): the topics Busbar expects and their creation, behind `busbar-topics create`. */
export { TOPIC_POLICIES, busbarTopics, createBusbarTopics } from './topics.js';
export type { BusbarTopic, BusbarTopicsOptions, CreateTopicsOptions, TopicPolicy, TopicReport, TopicRole } from './topics.js';
export { USAGE, parseTopicsArgs } from './cli.js';
export type { CreateCommand } from './cli.js';
export { runTopicsCli } from './run.js';
export type { CliOutput } from './run.js';
