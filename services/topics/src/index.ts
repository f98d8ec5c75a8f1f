/** `@busbar/topics` (private): the topics Busbar expects and their creation, behind `busbar-topics create`. */
export { busbarTopics, createBusbarTopics } from './topics.js';
export { parseTopicsArgs } from './cli.js';
export { aclsFor, applyAcls } from './acls.js';
export { runTopicsCli } from './run.js';
