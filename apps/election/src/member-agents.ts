import type { AgentClient, AgentRequest } from '../../../libs/agent-client/src/index.ts';
import type { CommandReply } from '../../../libs/proto/src/index.ts';
import { AGENT_TIMEOUT_MS } from './agent-timeouts.ts';

/** The agents of the cluster's members, as the election asks them: `agents.of(member).promote(term)`. */
export class MemberAgents {
  constructor(private readonly client: AgentClient) {}

  of(member: string): MemberAgent {
    return new MemberAgent(this.client, member);
  }
}

/**
 * One member's agent, one method per verb, each bounded by its default of AGENT_TIMEOUT_MS. A reply
 * that says no resolves with `ok: false`; an agent that cannot be asked rejects with
 * AgentUnreachableError.
 */
export class MemberAgent {
  constructor(
    private readonly client: AgentClient,
    readonly member: string,
  ) {}

  status(timeoutMs: number = AGENT_TIMEOUT_MS.status): Promise<CommandReply> {
    return this.client.request(this.member, 'status', {}, timeoutMs);
  }

  /** initdb or the custom bootstrap under the lease `term` won by the bootstrap race. */
  bootstrap(term: number, timeoutMs: number): Promise<CommandReply> {
    return this.client.request(this.member, 'bootstrap', { term }, timeoutMs);
  }

  clone(request: AgentRequest<'clone'>): Promise<CommandReply> {
    return this.client.request(this.member, 'clone', request, AGENT_TIMEOUT_MS.clone);
  }

  /** Starts a stopped PostgreSQL as primary under lease `term`. */
  start(term: number): Promise<CommandReply> {
    return this.client.request(this.member, 'start', { term }, AGENT_TIMEOUT_MS.start);
  }

  stop(mode: 'smart' | 'fast' | 'immediate'): Promise<CommandReply> {
    return this.client.request(this.member, 'stop', { mode }, AGENT_TIMEOUT_MS.stop);
  }

  promote(term: number): Promise<CommandReply> {
    return this.client.request(this.member, 'promote', { term }, AGENT_TIMEOUT_MS.promote);
  }

  demote(request: AgentRequest<'demote'>): Promise<CommandReply> {
    return this.client.request(this.member, 'demote', request, AGENT_TIMEOUT_MS.demote);
  }

  follow(request: AgentRequest<'follow'>): Promise<CommandReply> {
    return this.client.request(this.member, 'follow', request, AGENT_TIMEOUT_MS.follow);
  }

  rewind(request: AgentRequest<'rewind'>): Promise<CommandReply> {
    return this.client.request(this.member, 'rewind', request, AGENT_TIMEOUT_MS.rewind);
  }

  setSynchronousStandbyNames(term: number, value: string): Promise<CommandReply> {
    return this.client.request(
      this.member,
      'set_synchronous_standby_names',
      { term, value },
      AGENT_TIMEOUT_MS.set_synchronous_standby_names,
    );
  }
}
