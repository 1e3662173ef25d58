import type { DescMessage, MessageShape, MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { errors, type NatsConnection } from '@nats-io/nats-core';
import {
  BootstrapRequestSchema,
  CancelRestartRequestSchema,
  CloneRequestSchema,
  CommandReplySchema,
  DemoteRequestSchema,
  FollowRequestSchema,
  PromoteRequestSchema,
  ReinitializeRequestSchema,
  ReloadRequestSchema,
  RestartRequestSchema,
  RewindRequestSchema,
  SetSynchronousStandbyNamesRequestSchema,
  StartRequestSchema,
  StatusRequestSchema,
  StopRequestSchema,
  TerminateConnectionsRequestSchema,
  decodeWire,
  toWireJson,
  type CommandReply,
} from '../../proto/src/index.ts';

/** Each agent verb and the request message it takes (proto/natroni/v1/commands.proto). */
export const AGENT_VERBS = {
  status: StatusRequestSchema,
  bootstrap: BootstrapRequestSchema,
  clone: CloneRequestSchema,
  start: StartRequestSchema,
  stop: StopRequestSchema,
  restart: RestartRequestSchema,
  cancel_restart: CancelRestartRequestSchema,
  reload: ReloadRequestSchema,
  promote: PromoteRequestSchema,
  demote: DemoteRequestSchema,
  follow: FollowRequestSchema,
  rewind: RewindRequestSchema,
  reinitialize: ReinitializeRequestSchema,
  set_synchronous_standby_names: SetSynchronousStandbyNamesRequestSchema,
  terminate_connections: TerminateConnectionsRequestSchema,
} as const satisfies Record<string, DescMessage>;

export type AgentVerb = keyof typeof AGENT_VERBS;
export type AgentRequest<Verb extends AgentVerb> = MessageInitShape<(typeof AGENT_VERBS)[Verb]>;

/** The subject on which a member's agent answers `verb`. */
export function agentSubject(
  namespace: string,
  scope: string,
  member: string,
  verb: AgentVerb,
): string {
  return `${namespace}.${scope}.agent.${member}.${verb}`;
}

/**
 * Why an agent could not be asked at all (as opposed to a reply that says no): nobody listens on its
 * subject, it did not answer in time, or NATS itself cannot be reached.
 */
export class AgentUnreachableError extends Error {
  constructor(
    readonly member: string,
    readonly verb: AgentVerb,
    readonly reason: 'no_responders' | 'timeout' | 'nats',
    detail: string,
  ) {
    super(`the agent of ${member} did not answer ${verb}: ${detail}`);
    this.name = 'AgentUnreachableError';
  }
}

/** Sends the agents' commands over NATS request/reply, as the election and the gateway do. */
export class AgentClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly scope: string,
  ) {}

  async request<Verb extends AgentVerb>(
    member: string,
    verb: Verb,
    request: AgentRequest<Verb>,
    timeoutMs: number,
  ): Promise<CommandReply> {
    const schema: DescMessage = AGENT_VERBS[verb];
    const payload = toWireJson(schema, create(schema, request) as MessageShape<DescMessage>);
    try {
      const reply = await this.nc.request(
        agentSubject(this.namespace, this.scope, member, verb),
        payload,
        {
          timeout: timeoutMs,
        },
      );
      return decodeWire(CommandReplySchema, reply.data);
    } catch (error) {
      if (error instanceof errors.RequestError && error.isNoResponders()) {
        throw new AgentUnreachableError(member, verb, 'no_responders', 'no agent is listening');
      }
      const timedOut =
        error instanceof errors.TimeoutError ||
        (error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError);
      if (timedOut) {
        throw new AgentUnreachableError(member, verb, 'timeout', `no reply within ${timeoutMs} ms`);
      }
      const detail = error instanceof Error ? error.message : String(error);
      throw new AgentUnreachableError(member, verb, 'nats', detail);
    }
  }
}
