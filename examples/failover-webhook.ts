/**
 * natroni example plugin: reacts to failover events. It logs the new primary and POSTs a JSON body to
 * the webhook URL given on its command line.
 *
 *   deno run --allow-net --allow-env --allow-read examples/failover-webhook.ts \
 *     --nats nats://127.0.0.1:4222 --scope demo [--namespace natroni] [--durable NAME] WEBHOOK_URL
 *
 * Without --durable it sees failovers from its start on. With --durable NAME it keeps its position in
 * the cluster's event stream under that name: started again after a pause, it receives the failovers it
 * missed. An event is acknowledged only once the webhook answered 2xx, so a failed call is retried.
 */
import { connect } from 'npm:@nats-io/transport-node@3.4.0';
import { NatroniClient, type Event, type EventSubscription } from '../libs/client/src/index.ts';

interface Options {
  nats: string;
  scope: string;
  namespace: string;
  durable: string | undefined;
  webhook: string;
}

const USAGE =
  'usage: failover-webhook.ts --nats URL --scope NAME [--namespace NAME] [--durable NAME] WEBHOOK_URL';

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

function webhookBody(event: Event): Record<string, unknown> {
  const failover = event.detail.case === 'failover' ? event.detail.value : undefined;
  return {
    id: event.id,
    kind: event.kind,
    scope: event.scope,
    new_primary: failover?.newLeader || event.member,
    old_primary: failover?.oldLeader ?? '',
    term: event.term,
    timeline: event.timeline,
    duration_ms: failover?.durationMs ?? 0,
    reason: failover?.reason ?? '',
    occurred_at: event.occurredAt
      ? new Date(
          Number(event.occurredAt.seconds) * 1000 + event.occurredAt.nanos / 1e6,
        ).toISOString()
      : '',
  };
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
  const nc = await connect({ servers: options.nats, name: 'failover-webhook' });
  const client = new NatroniClient(nc, { scope: options.scope, namespace: options.namespace });
  const subscription: EventSubscription = options.durable
    ? await client.durableEvents(options.durable, { kinds: ['failover'], from: 'new' })
    : await client.events({ kinds: ['failover'] });
  const stop = (): void => {
    subscription.stop();
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
  console.log(`watching failovers of ${options.namespace}/${options.scope} on ${options.nats}`);

  const seen = new Set<string>();
  for await (const received of subscription) {
    const { event } = received;
    if (seen.has(event.id)) {
      received.ack();
      continue;
    }
    const body = webhookBody(event);
    console.log(
      `failover in ${event.scope}: new primary ${body['new_primary']} (was ${body['old_primary'] || 'unknown'}), term ${event.term}`,
    );
    if (await callWebhook(options.webhook, body)) {
      seen.add(event.id);
      received.ack();
    }
  }
  await nc.drain();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  Deno.exit(1);
});
