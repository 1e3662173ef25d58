import { Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AgentClient,
  AgentUnreachableError,
  type AgentRequest,
  type AgentVerb,
} from '../../../../libs/agent-client/src/index.ts';
import { InjectNatsConnection } from '../../../../libs/nats/src/index.ts';
import { WireDecodeError, type CommandReply } from '../../../../libs/proto/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

/** The agents' commands for the HTTP API: an agent that cannot be asked becomes Patroni's 503. */
@Injectable()
export class AgentCommands {
  private readonly client: AgentClient;

  constructor(@InjectNatsConnection() connection: NatsConnection, cluster: LiveCluster) {
    this.client = new AgentClient(connection, cluster.namespace, cluster.scope);
  }

  async send<Verb extends AgentVerb>(
    member: string,
    verb: Verb,
    request: AgentRequest<Verb>,
    timeoutMs: number,
  ): Promise<CommandReply> {
    try {
      return await this.client.request(member, verb, request, timeoutMs);
    } catch (error) {
      if (error instanceof WireDecodeError) {
        throw new PatroniHttpError(
          503,
          `${verb} failed: the agent of member ${member} sent a malformed reply`,
        );
      }
      if (!(error instanceof AgentUnreachableError)) throw error;
      switch (error.reason) {
        case 'no_responders':
          throw new PatroniHttpError(
            503,
            `${verb} failed: no agent of member ${member} is answering`,
          );
        case 'timeout':
          throw new PatroniHttpError(
            503,
            `${verb} status unknown: the agent of member ${member} did not answer within ${Math.round(timeoutMs / 1000)} seconds`,
          );
        case 'nats':
          throw new PatroniHttpError(503, `${verb} failed: NATS is not reachable`);
      }
    }
  }
}
