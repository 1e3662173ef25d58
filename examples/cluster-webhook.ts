/**
 * natroni example plugin: reacts to every change of leader (a switchover, a manual failover, a
 * failover) and to a member being lost. It logs each one and POSTs a JSON body to the webhook URL
 * given on its command line, which is what a plugin that repoints DNS or a connection pool needs.
 *
 *   deno run --node-modules-dir=manual --allow-net --allow-env --allow-read \
 *     examples/cluster-webhook.ts --nats nats://127.0.0.1:4222 --scope demo \
 *     [--namespace natroni] [--durable NAME] WEBHOOK_URL
 *
 * A leader change is the `leader_elected` event, which every way of changing leader publishes; the
 * former leader is the event's `previous_leader` or, when the lease had been released (a switchover),
 * the leader this plugin saw last. Without --durable it sees changes from its start on. With
 * --durable NAME it keeps its position in the cluster's event stream under that name: started again
 * after a pause, it receives what it missed. An event is acknowledged only once the webhook answered
 * 2xx, so a failed call is retried.
 */
import { connect, NatroniClient, type Event, type EventSubscription } from '../libs/client/mod.ts';

interface Options {
  nats: string;
  scope: string;
  namespace: string;
  durable: string | undefined;
  webhook: string;
}

const USAGE =
  'usage: cluster-webhook.ts --nats URL --scope NAME [--namespace NAME] [--durable NAME] WEBHOOK_URL';

const KINDS = ['leader_elected', 'member_lost'];

function parseOptions(args: readonly string[]): Options {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (arg.startsWith('--')) {
      const value = args[index + 1];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      named.set(arg.slice(2), value);
      index += 1;
    } else positional.push(arg);
  }
  const scope = named.get('scope');
  const webhook = positional[0];
  if (!scope || !webhook) throw new Error(USAGE);
  return {
    nats: named.get('nats') ?? Deno.env.get('NATS_URL') ?? 'nats://127.0.0.1:4222',
    scope,
    namespace: named.get('namespace') ?? 'natroni',
    durable: named.get('durable'),
    webhook: new URL(webhook).href,
  };
}

function occurredAt(event: Event): string {
  return event.occurredAt
    ? new Date(Number(event.occurredAt.seconds) * 1000 + event.occurredAt.nanos / 1e6).toISOString()
    : '';
}

/** What the plugin tells the webhook and its log about one event. */
interface Notice {
  body: Record<string, unknown>;
  line: string;
}

/** Follows the leader from event to event, so that a released lease still names the former one. */
class ClusterWatcher {
  constructor(private leader: string) {}

  notice(event: Event): Notice | undefined {
    const common = {
      id: event.id,
      kind: event.kind,
      scope: event.scope,
      term: event.term,
      timeline: event.timeline,
      occurred_at: occurredAt(event),
    };
    if (event.detail.case === 'leaderElected') {
      const previous = event.detail.value.previousLeader || this.leader;
      this.leader = event.member;
      if (previous === event.member) return undefined;
      return {
        body: { ...common, new_primary: event.member, old_primary: previous },
        line: `leader change in ${event.scope}: new primary ${event.member} (was ${previous || 'none'}), term ${event.term}`,
      };
    }
    if (event.detail.case === 'memberLost') {
      const { lastRole, lastState, reason } = event.detail.value;
      return {
        body: {
          ...common,
          member: event.member,
          last_role: lastRole,
          last_state: lastState,
          reason,
        },
        line: `member lost in ${event.scope}: ${event.member} (last ${lastRole}, ${lastState}): ${reason}`,
      };
    }
    return undefined;
  }
}

async function callWebhook(url: string, body: Record<string, unknown>): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    if (response.ok) return true;
    console.error(`webhook answered ${response.status}`);
  } catch (error) {
    console.error(`webhook call failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return false;
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const nc = await connect({ servers: options.nats, name: 'cluster-webhook' });
  const client = new NatroniClient(nc, { scope: options.scope, namespace: options.namespace });
  const subscription: EventSubscription = options.durable
    ? await client.durableEvents(options.durable, { kinds: KINDS, from: 'new' })
    : await client.events({ kinds: KINDS });
  const watcher = new ClusterWatcher((await client.view()).leader?.value.member ?? '');
  const stop = (): void => {
    subscription.stop();
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
  console.log(
    `watching leader changes and lost members of ${options.namespace}/${options.scope} on ${options.nats}`,
  );

  const seen = new Set<string>();
  const notices = new Map<string, Notice | undefined>();
  for await (const received of subscription) {
    const { event } = received;
    if (!seen.has(event.id) && !notices.has(event.id)) notices.set(event.id, watcher.notice(event));
    const notice = notices.get(event.id);
    if (seen.has(event.id) || !notice) {
      seen.add(event.id);
      notices.delete(event.id);
      received.ack();
      continue;
    }
    console.log(notice.line);
    if (await callWebhook(options.webhook, notice.body)) {
      seen.add(event.id);
      notices.delete(event.id);
      received.ack();
    }
  }
  await nc.drain();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  Deno.exit(1);
});
