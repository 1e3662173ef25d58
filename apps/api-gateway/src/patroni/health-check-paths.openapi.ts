import type { OpenAPIObject } from '@nestjs/swagger';

type Paths = OpenAPIObject['paths'];
type Operation = NonNullable<Paths[string]['get']>;
type ParameterObject = NonNullable<Operation['parameters']>[number];

const HEALTH_PATHS = [
  '/',
  '/primary',
  '/read-write',
  '/standby-leader',
  '/leader',
  '/replica',
  '/read-only',
  '/synchronous',
  '/sync',
  '/read-only-sync',
  '/quorum',
  '/read-only-quorum',
  '/asynchronous',
  '/async',
  '/health',
];

const QUERY: ParameterObject[] = [
  {
    name: 'lag',
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: 'Maximum replay lag: bytes, or a number with B, kB, MB, GB or TB.',
  },
  {
    name: 'replication_state',
    in: 'query',
    required: false,
    schema: { type: 'string', enum: ['streaming', 'in archive recovery'] },
  },
  {
    name: 'tag_key',
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: 'Any tag_<key>=<value>: the member must have that tag value.',
  },
];

const STATUS_ONLY = {
  '200': { description: 'the check passes (status line only)' },
  '503': { description: 'the check fails (status line only)' },
};

/**
 * The health checks are answered on the member listeners outside Nest's router (for speed), so their
 * description is written here rather than derived from controllers.
 */
export function healthCheckPaths(): Paths {
  const paths: Paths = {};
  for (const path of HEALTH_PATHS) {
    paths[path] = {
      get: {
        tags: ['health'],
        summary: `Health check ${path}: 200 or 503 with the /patroni document`,
        parameters: [...QUERY],
        responses: {
          '200': { description: 'the check passes; body: the /patroni document' },
          '503': { description: 'the check fails; body: the /patroni document' },
        },
      },
      head: { tags: ['health'], summary: 'Same check, status only', responses: STATUS_ONLY },
      options: { tags: ['health'], summary: 'Same check, status only', responses: STATUS_ONLY },
    };
  }
  paths['/patroni'] = {
    get: {
      tags: ['health'],
      summary: "This member's status document",
      responses: { '200': { description: 'the /patroni document' } },
    },
  };
  paths['/liveness'] = {
    get: {
      tags: ['health'],
      summary: "The member's agent publishes its status",
      responses: STATUS_ONLY,
    },
  };
  paths['/readiness'] = {
    get: {
      tags: ['health'],
      summary: 'Leader, or a streaming replica within lag',
      parameters: [
        ...QUERY.slice(0, 1),
        {
          name: 'mode',
          in: 'query',
          required: false,
          schema: { type: 'string', enum: ['apply', 'write'] },
        },
      ],
      responses: STATUS_ONLY,
    },
  };
  return paths;
}
