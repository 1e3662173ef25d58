import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { errors, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import {
  decodeWire,
  FailsafeNoticeSchema,
  FailsafeReplySchema,
  toWireJson,
  type FailsafeNotice,
  type FailsafeReply,
} from '../../proto/src/index.ts';

/** The subject on which a member's election answers failsafe notices (proto/natroni/v1/failsafe.proto). */
export function failsafeSubject(namespace: string, scope: string, member: string): string {
  return `${namespace}.${scope}.election.${member}.failsafe`;
}

/** The member's election could not be asked: nobody listens, no reply in time, or NATS is unreachable. */
export class FailsafeUnreachableError extends Error {
  constructor(
    readonly member: string,
    detail: string,
  ) {
    super(`the election of ${member} did not answer the failsafe notice: ${detail}`);
    this.name = 'FailsafeUnreachableError';
  }
}

/** Sends failsafe notices to members' elections over NATS request-reply. */
export class FailsafeNotices {
  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly scope: string,
  ) {}

  async send(
    member: string,
    notice: MessageInitShape<typeof FailsafeNoticeSchema>,
    timeoutMs: number,
  ): Promise<FailsafeReply> {
    const payload = toWireJson(FailsafeNoticeSchema, create(FailsafeNoticeSchema, notice));
    try {
      const reply = await this.nc.request(
        failsafeSubject(this.namespace, this.scope, member),
        payload,
        { timeout: timeoutMs },
      );
      return decodeWire(FailsafeReplySchema, reply.data);
    } catch (error) {
      if (error instanceof errors.RequestError && error.isNoResponders())
        throw new FailsafeUnreachableError(member, 'no election is listening');
      const detail = error instanceof Error ? error.message : String(error);
      throw new FailsafeUnreachableError(member, detail);
    }
  }

  /**
   * Answers the notices addressed to `member` with `decide`; a notice that does not decode, or a
   * decision that fails, is refused with the reason, never a crash.
   */
  answer(member: string, decide: (notice: FailsafeNotice) => Promise<FailsafeReply>): Subscription {
    return this.nc.subscribe(failsafeSubject(this.namespace, this.scope, member), {
      callback: (error, message) => {
        if (error) return;
        void Promise.resolve()
          .then(() => decide(decodeWire(FailsafeNoticeSchema, message.data)))
          .catch((refusal: unknown) =>
            create(FailsafeReplySchema, {
              accepted: false,
              message: refusal instanceof Error ? refusal.message : String(refusal),
            }),
          )
          .then((reply) => message.respond(toWireJson(FailsafeReplySchema, reply)));
      },
    });
  }
}
