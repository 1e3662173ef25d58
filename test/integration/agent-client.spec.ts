import { create } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AgentClient,
  AgentUnreachableError,
  agentSubject,
} from '../../libs/agent-client/src/index.ts';
import { NatsServerProcess } from '../../libs/harness/src/index.ts';
import {
  CommandReplySchema,
  decodeWire,
  PromoteRequestSchema,
  toWireJson,
} from '../../libs/proto/src/index.ts';
import { connectClient } from '../support/nats-clients.ts';

let nats: NatsServerProcess;
let connection: NatsConnection;

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  connection = await connectClient(nats.url, 'agent-client-spec');
});

afterAll(async () => {
  await connection?.close();
  await nats?.dispose();
});

test('a request reaches the subject of the member and verb, as canonical JSON, and decodes the reply', async () => {
  const subscription = connection.subscribe(agentSubject('natroni', 'demo', 'pg2', 'promote'), {
    max: 1,
    callback: (_error, message) => {
      const request = decodeWire(PromoteRequestSchema, message.data);
      const reply = create(CommandReplySchema, {
        ok: true,
        message: `promoted under term ${request.term}`,
      });
      message.respond(toWireJson(CommandReplySchema, reply));
    },
  });
  const client = new AgentClient(connection, 'natroni', 'demo');
  const reply = await client.request('pg2', 'promote', { term: 7 }, 2_000);
  expect(reply).toMatchObject({ ok: true, message: 'promoted under term 7' });
  await subscription.closed;
});

test('no agent listening, and an agent that never answers, are told apart from a refusal', async () => {
  const client = new AgentClient(connection, 'natroni', 'demo');
  await expect(client.request('pg9', 'status', {}, 1_000)).rejects.toThrow(
    new AgentUnreachableError('pg9', 'status', 'no_responders', 'no agent is listening'),
  );
  const silent = connection.subscribe(agentSubject('natroni', 'demo', 'pg3', 'status'));
  const attempt = client.request('pg3', 'status', {}, 200);
  await expect(attempt).rejects.toBeInstanceOf(AgentUnreachableError);
  await expect(attempt).rejects.toMatchObject({
    reason: 'timeout',
    message: 'the agent of pg3 did not answer status: no reply within 200 ms',
  });
  silent.unsubscribe();
});
