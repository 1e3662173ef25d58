// natroni's client library: no NestJS, no Node built-ins, so that it runs under Node and Deno.
export {
  DEFAULT_NAMESPACE,
  NatroniClient,
  type EventOptions,
  type EventStart,
  type NatroniClientOptions,
  type SwitchoverOptions,
} from './natroni-client.ts';
export {
  EventSubscription,
  type MalformedEventHandler,
  type ReceivedEvent,
} from './event-subscription.ts';
export type { Event } from '../../proto/src/index.ts';
export { AgentUnreachableError } from '../../agent-client/src/index.ts';
