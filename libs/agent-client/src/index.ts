export {
  AGENT_VERBS,
  AgentClient,
  agentSubject,
  AgentUnreachableError,
  type AgentRequest,
  type AgentVerb,
} from './agent-client.ts';
export { standbyUpstream } from './standby-upstream.ts';
