import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { AGENT_VERBS, type AgentVerb } from '../../../../libs/agent-client/src/index.ts';
import {
  CommandReplySchema,
  decodeWire,
  toWireJson,
  WireDecodeError,
  type CommandReply,
} from '../../../../libs/proto/src/index.ts';
import { CommandRefusal } from './command-errors.ts';
import { LifecycleRefusal } from './postgres-lifecycle.ts';
import type { MemberCommands } from './member-commands.ts';
import type { MemberStatusPublisher } from './member-status-publisher.ts';

interface Verb<Desc extends DescMessage> {
  readonly schema: Desc;
  readonly run: (request: MessageShape<Desc>) => Promise<string>;
}

/** One handler per verb of the contract (AGENT_VERBS): a verb added there without one fails to compile. */
type VerbHandlers = {
  readonly [V in AgentVerb]: (request: MessageShape<(typeof AGENT_VERBS)[V]>) => Promise<string>;
};

/** The lease term a role-changing request carries (its fencing token); undefined for the others. */
function termOf(request: object): number | undefined {
  const term = (request as { term?: unknown }).term;
  return typeof term === 'number' && term > 0 ? term : undefined;
}

/** `<namespace>.<scope>.agent.<member>`: the subject prefix of one member's commands. */
export function agentSubjectPrefix(namespace: string, scope: string, member: string): string {
  return `${namespace}.${scope}.agent.${member}`;
}

/**
 * Answers the member's commands on `<ns>.<scope>.agent.<member>.<verb>` over the raw NATS connection:
 * the request is the verb's proto message as canonical JSON, the reply a CommandReply. Nothing a
 * sender puts in a payload can crash the agent: whatever fails becomes an error reply.
 */
export class CommandResponder {
  private readonly logger = new Logger('CommandResponder');
  private subscription: Subscription | undefined;
  private readonly verbs: ReadonlyMap<string, Verb<DescMessage>>;
  private readonly handling = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjectPrefix: string,
    commands: MemberCommands,
    private readonly status: MemberStatusPublisher,
  ) {
    const handlers: VerbHandlers = {
      status: () => Promise.resolve('status'),
      bootstrap: (r) => commands.bootstrap(r),
      clone: (r) => commands.clone(r),
      start: (r) => commands.start(r),
      stop: (r) => commands.stop(r),
      restart: (r) => commands.restart(r),
      cancel_restart: () => commands.cancelRestart(),
      reload: () => commands.reload(),
      promote: (r) => commands.promote(r),
      demote: (r) => commands.demote(r),
      follow: (r) => commands.follow(r),
      rewind: (r) => commands.rewind(r),
      reinitialize: (r) => commands.reinitialize(r),
      set_synchronous_standby_names: (r) => commands.setSynchronousStandbyNames(r),
      terminate_connections: () => commands.terminateConnections(),
    };
    this.verbs = new Map(
      (Object.keys(AGENT_VERBS) as AgentVerb[]).map((name) => [
        name,
        { schema: AGENT_VERBS[name], run: handlers[name] } as unknown as Verb<DescMessage>,
      ]),
    );
  }

  start(): void {
    const subscription = this.nc.subscribe(`${this.subjectPrefix}.*`);
    this.subscription = subscription;
    void (async () => {
      for await (const msg of subscription) {
        const handled = this.handle(msg).finally(() => this.handling.delete(handled));
        this.handling.add(handled);
      }
    })();
  }

  /** Stops taking commands and waits for those being handled. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.handling]);
  }

  private async handle(msg: Msg): Promise<void> {
    const name = msg.subject.slice(this.subjectPrefix.length + 1);
    let reply: CommandReply;
    try {
      const message = await this.dispatch(name, msg.data);
      reply = create(CommandReplySchema, { ok: true, message });
    } catch (error) {
      reply = this.errorReply(name, error);
    }
    try {
      reply.status = await this.status.current();
    } catch (error) {
      this.logger.warn({ msg: 'could not read the member status for a reply', err: error });
    }
    if (msg.reply) msg.respond(toWireJson(CommandReplySchema, reply));
  }

  private async dispatch(name: string, payload: Uint8Array): Promise<string> {
    const handler = this.verbs.get(name);
    if (!handler) {
      throw new CommandRefusal(
        'bad_request',
        `unknown verb "${name}": use one of ${[...this.verbs.keys()].join(', ')}`,
      );
    }
    // An empty payload is the empty message, so that `nats request <subject> ""` works.
    const request = decodeWire(handler.schema, payload.length === 0 ? '{}' : payload);
    const term = termOf(request);
    const fields = { verb: name, ...(term === undefined ? {} : { term }) };
    const during = term === undefined ? '' : ` (lease term ${term})`;
    try {
      const message = await handler.run(request);
      // One line per command that changes something, in words: "promote: promoted (lease term 7)".
      if (name !== 'status') this.logger.log({ msg: `${name}: ${message}${during}`, ...fields });
      return message;
    } catch (error) {
      if (error instanceof CommandRefusal || error instanceof LifecycleRefusal)
        this.logger.warn({ msg: `${name} refused${during}: ${error.message}`, ...fields });
      throw error;
    }
  }

  private errorReply(name: string, error: unknown): CommandReply {
    if (error instanceof WireDecodeError) {
      return create(CommandReplySchema, {
        ok: false,
        errorCode: 'bad_request',
        message: `malformed ${name} request: ${error.reason}`,
      });
    }
    if (error instanceof CommandRefusal) {
      return create(CommandReplySchema, {
        ok: false,
        errorCode: error.code,
        message: error.message,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof LifecycleRefusal)) {
      this.logger.error({ msg: `${name} failed`, err: error });
    }
    return create(CommandReplySchema, {
      ok: false,
      errorCode: 'failed',
      message: `${name} failed: ${message}`,
    });
  }
}
