import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import type { ClusterView, LeaseHold } from '../../../libs/dcs/src/index.ts';
import { DynamicConfigSchema, toWireJson } from '../../../libs/proto/src/index.ts';
import { announce, type ElectionContext } from './election-context.ts';

/**
 * The leader announces each change of the `config` key with the top-level keys it changed, whoever
 * wrote it (the gateway, natronictl, or a hand-made KV write). A new leader starts from the config it
 * finds, without announcing it again.
 */
@Injectable()
export class ConfigChangeEvents {
  private last: { revision: number; keys: Record<string, string> } | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  async observe(view: ClusterView, hold: LeaseHold): Promise<void> {
    const entry = view.config;
    if (!entry || entry.revision === this.last?.revision) return;
    const document = JSON.parse(toWireJson(DynamicConfigSchema, entry.value)) as Record<
      string,
      unknown
    >;
    const keys = Object.fromEntries(
      Object.entries(document).map(([key, value]) => [key, JSON.stringify(value)]),
    );
    const before = this.last?.keys;
    this.last = { revision: entry.revision, keys };
    if (!before) return;
    const changedKeys = [...new Set([...Object.keys(before), ...Object.keys(keys)])]
      .filter((key) => before[key] !== keys[key])
      .sort();
    if (changedKeys.length === 0) return;
    this.context.logger.log({
      msg: `configuration changed: ${changedKeys.join(', ')}`,
      term: hold.term,
    });
    await announce(this.context, {
      member: this.context.member,
      term: hold.term,
      detail: { case: 'configChanged', value: { changedKeys } },
    });
  }
}
