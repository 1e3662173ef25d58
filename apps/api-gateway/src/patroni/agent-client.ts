import { Injectable } from '@nestjs/common';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { RequestError, type NatsConnection } from '@nats-io/transport-node';
import { InjectNatsConnection } from '../../../../libs/nats/src/index.ts';
import {
  CommandReplySchema,
  decodeWire,
  encodeWire,
  type CommandReply,
} from '../../../../libs/proto/src/index.ts';
import { LiveCluster } from './live-cluster.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

/** Sends one command to a member's agent on `<ns>.<scope>.agent.<member>.<verb>`. */
@Injectable()
export class AgentClient {
  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    private readonly cluster: LiveCluster,
  ) {}

  /** The agent's reply; a 503 in Patroni's style when nobody answers or the answer does not decode. */
  async send<Desc extends DescMessage>(
    member: string,
    verb: string,
    schema: Desc,
    message: MessageShape<Desc>,
    timeoutMs: number,
  ): Promise<CommandReply> {
    const subject = `${this.cluster.namespace}.${this.cluster.scope}.agent.${member}.${verb}`;
    let data: Uint8Array;
    try {
      const reply = await this.connection.request(subject, encodeWire(schema, message), {
        timeout: timeoutMs,
      });
      data = reply.data;
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        throw new PatroniHttpError(
          503,
          `${verb} failed: no agent of member ${member} is answering`,
        );
      }
      if (error instanceof Error && /timeout/i.test(error.message + String(error.cause))) {
        throw new PatroniHttpError(
          503,
          `${verb} status unknown: the agent of member ${member} did not answer within ${Math.round(timeoutMs / 1000)} seconds`,
        );
      }
      throw new PatroniHttpError(503, `${verb} failed: NATS is not reachable`);
    }
    try {
      return decodeWire(CommandReplySchema, data);
    } catch {
      throw new PatroniHttpError(
        503,
        `${verb} failed: the agent of member ${member} sent a malformed reply`,
      );
    }
  }
}
