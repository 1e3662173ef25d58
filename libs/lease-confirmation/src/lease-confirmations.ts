import { create } from '@bufbuild/protobuf';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  decodeWire,
  LeaseConfirmationRequestSchema,
  LeaseConfirmationSchema,
  toWireJson,
  type LeaseConfirmation,
} from '../../proto/src/index.ts';

/** The subject on which a member's election says whether it holds the lease (proto/natroni/v1/lease.proto). */
export function leaseConfirmationSubject(namespace: string, scope: string, member: string): string {
  return `${namespace}.${scope}.election.${member}.lease`;
}

/** Between a member's agent and its election: "do you still hold the lease, and for how long?" */
export class LeaseConfirmations {
  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly scope: string,
  ) {}

  /**
   * The election's answer, or undefined when it cannot be had within `timeoutMs` (no election
   * listening, NATS unreachable, or a reply that does not decode): the caller then fences.
   */
  async ask(member: string, timeoutMs: number): Promise<LeaseConfirmation | undefined> {
    try {
      const reply = await this.nc.request(
        leaseConfirmationSubject(this.namespace, this.scope, member),
        toWireJson(LeaseConfirmationRequestSchema, create(LeaseConfirmationRequestSchema)),
        { timeout: timeoutMs },
      );
      return decodeWire(LeaseConfirmationSchema, reply.data);
    } catch {
      return undefined;
    }
  }

  /** Answers the questions addressed to `member`'s election with `confirm`. */
  answer(member: string, confirm: () => LeaseConfirmation): Subscription {
    return this.nc.subscribe(leaseConfirmationSubject(this.namespace, this.scope, member), {
      callback: (error, message) => {
        if (error) return;
        message.respond(toWireJson(LeaseConfirmationSchema, confirm()));
      },
    });
  }
}
