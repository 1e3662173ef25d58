import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { gatewaySettingsFromEnv } from '../../apps/api-gateway/src/gateway-settings.ts';
import {
  clusterEnvironment,
  defaultClusterPorts,
  gatewayEnvironment,
  memberConfigDocument,
} from '../../libs/harness/src/local-cluster.ts';
import { parseMemberConfig, type MemberConfig } from '../../libs/member-config/src/index.ts';
import {
  parseRouterConfig,
  ROUTER_CONFIG_VARIABLE,
} from '../../apps/router-updater/src/router-config.ts';
import { SERVICE_NAMES, settingsFromEnv } from '../../libs/service-settings/src/index.ts';

/**
 * No Docker engine runs here, so docker-compose.yml is checked by reading it: every command, mounted
 * file and port it names exists in the repository, and it wires the services as the local cluster
 * (libs/harness/src/local-cluster.ts) does.
 */
const repo = resolve(__dirname, '../..');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
  network_mode?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as ComposeFile;
const services = Object.entries(compose.services);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** `dist/bundles/<app>/main.cjs` → `<app>`. */
function appOf(definition: ComposeService): string | undefined {
  return /^dist\/bundles\/([^/]+)\/main\.cjs$/.exec(definition.command?.[0] ?? '')?.[1];
}

function servicesRunning(app: string): [string, ComposeService][] {
  return services.filter(([, definition]) => appOf(definition) === app);
}

function mounts(definition: ComposeService): { source: string; target: string }[] {
  return (definition.volumes ?? []).map((volume) => {
    const [source = '', target = ''] = volume.split(':');
    return { source, target };
  });
}

/** The repository file mounted at `target` in the service. */
function mountedFile(definition: ComposeService, target: string): string {
  const mount = mounts(definition).find((candidate) => candidate.target === target);
  if (!mount?.source.startsWith('./')) throw new Error(`nothing of the repository at ${target}`);
  return join(repo, mount.source);
}

/** `8008-8010:8008-8010` → the container ports 8008, 8009, 8010. */
function containerPorts(definition: ComposeService): number[] {
  return (definition.ports ?? []).flatMap((mapping) => {
    const container = mapping.split(':').at(-1) ?? '';
    const [first, last = first] = container.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  });
}

function portOf(address: string): number {
  return Number(address.split(':').at(-1));
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function environmentOf(definition: ComposeService): Record<string, string> {
  return definition.environment ?? {};
}

interface Member {
  name: string;
  agent: ComposeService;
  configFile: string;
  document: Record<string, unknown>;
  config: MemberConfig;
}

const members: Member[] = servicesRunning('node-agent').map(([name, agent]) => {
  const env = environmentOf(agent);
  const configFile = mountedFile(agent, env['NATRONI_CONFIG'] ?? '');
  const document = parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  return {
    name,
    agent,
    configFile,
    document,
    config: parseMemberConfig(document, env, configFile),
  };
});
const natsServices = services.filter(([, definition]) => definition.image?.startsWith('nats:'));
const gateways = servicesRunning('api-gateway');

/** The gateway of a member: the one service running api-gateway in the member's network. */
function gatewayOf(member: Member): ComposeService {
  const found = gateways.filter(
    ([, definition]) => definition.network_mode === `service:${member.name}`,
  );
  expect([member.name, found.map(([name]) => name)]).toEqual([
    member.name,
    [`${member.name}-gateway`],
  ]);
  return found[0]?.[1] ?? {};
}

/** Leaf keys of a document as dotted paths; lists count as leaves. */
function dottedKeys(document: unknown, prefix = ''): string[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return [prefix.slice(0, -1)];
  const entries = Object.entries(document);
  if (entries.length === 0) return [prefix.slice(0, -1)];
  return entries.flatMap(([key, value]) => dottedKeys(value, `${prefix}${key}.`));
}

test('natroni services are built from the Dockerfile, the others use official images', () => {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^COPY apps apps$/m);
  expect(dockerfile).toMatch(/^COPY libs libs$/m);
  expect(dockerfile).toMatch(/^RUN npm run build$/m);
  expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
  const baseImages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map(([, image]) => image);
  expect(baseImages).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
  for (const [name, definition] of services) {
    if (definition.build !== undefined) {
      expect([name, definition.build]).toEqual([name, '.']);
      expect([name, appOf(definition)]).toEqual([name, expect.any(String)]);
    } else {
      expect([name, definition.image]).toEqual([
        name,
        expect.stringMatching(/^(nats|haproxy|prom\/prometheus|grafana\/grafana):/),
      ]);
    }
  }
});

test('every natroni command is a service whose source exists', () => {
  for (const [name, definition] of services.filter(([, item]) => item.build !== undefined)) {
    const app = appOf(definition) ?? '';
    expect([name, SERVICE_NAMES]).toEqual([name, expect.arrayContaining([app])]);
    expect([name, existsSync(join(repo, 'apps', app, 'src/main.ts'))]).toEqual([name, true]);
  }
  expect(servicesRunning('node-agent')).toHaveLength(3);
  expect(servicesRunning('election')).toHaveLength(3);
  expect(servicesRunning('api-gateway')).toHaveLength(3);
  expect(servicesRunning('metrics')).toHaveLength(1);
  expect(servicesRunning('router-updater')).toHaveLength(1);
});

test('every mounted file exists in the repository, every volume and dependency is declared', () => {
  for (const [name, definition] of services) {
    for (const { source } of mounts(definition)) {
      if (source.startsWith('./'))
        expect([name, source, existsSync(join(repo, source))]).toEqual([name, source, true]);
      else expect(Object.keys(compose.volumes ?? {})).toContain(source);
    }
    for (const dependency of definition.depends_on ?? [])
      expect(Object.keys(compose.services)).toContain(dependency);
  }
});

test('the three NATS servers form one JetStream cluster, each with its own store', () => {
  expect(natsServices).toHaveLength(3);
  for (const [name, definition] of natsServices) {
    const configPath = definition.command?.[1] ?? '';
    expect(definition.command?.[0]).toBe('-c');
    const text = readFileSync(mountedFile(definition, configPath), 'utf8');
    expect(text).toMatch(new RegExp(`^server_name: ${name}$`, 'm'));
    expect(text).toMatch(/^listen: 0\.0\.0\.0:4222$/m);
    const storeDir = /store_dir: (\S+)/.exec(text)?.[1] ?? '';
    expect(mounts(definition).some(({ target }) => storeDir.startsWith(`${target}/`))).toBe(true);
    const routes = [...text.matchAll(/nats-route:\/\/([^:\s]+):(\d+)/g)];
    expect(routes.map((route) => route[1]).sort()).toEqual(natsServices.map(([other]) => other));
    const clusterPort = /cluster \{[^}]*listen: 0\.0\.0\.0:(\d+)/.exec(text)?.[1];
    expect(routes.every((route) => route[2] === clusterPort)).toBe(true);
  }
});

test("each member's agent and election read the same valid file, named after the member", () => {
  expect(members.map((member) => member.name)).toEqual(['pg1', 'pg2', 'pg3']);
  for (const member of members) {
    const election = service(`${member.name}-election`);
    expect(appOf(election)).toBe('election');
    const target = environmentOf(member.agent)['NATRONI_CONFIG'];
    expect(environmentOf(election)['NATRONI_CONFIG']).toBe(target);
    expect(mountedFile(election, target ?? '')).toBe(member.configFile);
    expect(member.config.name).toBe(member.name);
    expect(member.agent.hostname).toBe(member.name);
    for (const app of ['node-agent', 'election'] as const) {
      const settings = settingsFromEnv(app, environmentOf(member.agent), member.config);
      expect(settings.http.host).toBe('0.0.0.0');
    }
  }
});

test('every address in the member files has a valid port', () => {
  for (const member of members) {
    for (const address of [
      member.config.restapi.listen,
      member.config.restapi.connect_address,
      member.config.postgresql.listen,
      member.config.postgresql.connect_address,
    ]) {
      const port = portOf(address);
      expect([member.name, address, port >= 1 && port <= 65535]).toEqual([
        member.name,
        address,
        true,
      ]);
    }
  }
});

test('members reach PostgreSQL, NATS and their own gateway by their compose names', () => {
  const natsUrls = natsServices.map(([name]) => `nats://${name}:4222`);
  for (const member of members) {
    const { config } = member;
    expect(config.scope).toBe(environmentOf(gatewayOf(member))['NATRONI_SCOPE']);
    expect(config.nats.servers).toEqual(natsUrls);
    expect(config.nats.kv_replicas).toBe(natsServices.length);
    expect(config.postgresql.connect_address).toBe(
      `${member.name}:${portOf(config.postgresql.listen)}`,
    );
    expect(config.restapi.connect_address).toBe(`${member.name}:${portOf(config.restapi.listen)}`);
    const dataVolume = mounts(member.agent).find(({ target }) =>
      config.postgresql.data_dir.startsWith(`${target}/`),
    );
    expect(dataVolume && Object.keys(compose.volumes ?? {})).toContain(dataVolume?.source);
  }
});

test('member files have every key of the local cluster member files', () => {
  const local = memberConfigDocument(
    {
      repoDir: repo,
      baseDir: '/tmp/unused',
      scope: 'demo',
      memberCount: 3,
      ports: defaultClusterPorts(3),
      dcs: { ttl: 10, loop_wait: 1, retry_timeout: 4, maximum_lag_on_failover: 1048576 },
      restapiCredentials: { username: 'admin', password: 'admin' },
      logToFiles: false,
    },
    'pg1',
    defaultClusterPorts(3).members[0],
    '/tmp/unused/pg1/data',
  );
  for (const member of members)
    expect([member.name, dottedKeys(member.document)]).toEqual([
      member.name,
      expect.arrayContaining(dottedKeys(local)),
    ]);
});

test("each member's gateway runs in the member's network, bound to it, as the local cluster's", () => {
  const localKeys = Object.keys(
    gatewayEnvironment(
      { scope: 'demo', restapiCredentials: { username: 'admin', password: 'admin' } },
      'nats://127.0.0.1:4222',
      [{ name: 'pg1', ports: { restapi: 8008 } }],
    ),
  );
  for (const member of members) {
    const gateway = gatewayOf(member);
    const env = environmentOf(gateway);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(localKeys));
    expect(gateway.depends_on).toEqual(expect.arrayContaining([member.name]));
    const settings = gatewaySettingsFromEnv(env);
    expect(settings.members).toEqual([
      { name: member.name, host: '0.0.0.0', port: portOf(member.config.restapi.listen) },
    ]);
    expect(settings.auth).toEqual(member.config.restapi.authentication);
    expect(settings.workers).toBe(1);
    expect(env['NATRONI_NATS_SERVERS']?.split(',')).toEqual(member.config.nats.servers);
    const own = settingsFromEnv('api-gateway', env);
    expect(own.http.host).toBe('0.0.0.0');
    expect(own.http.port).not.toBe(portOf(member.config.restapi.listen));
    // The gateway has no ports of its own: the member's container publishes its Patroni port.
    expect(gateway.ports).toBeUndefined();
    expect(containerPorts(member.agent)).toEqual([portOf(member.config.restapi.listen)]);
  }
});

test('metrics gets the cluster-wide variables and publishes its own port', () => {
  const [[, metrics] = []] = servicesRunning('metrics');
  const env = environmentOf(metrics ?? {});
  expect(Object.keys(env)).toEqual(
    expect.arrayContaining(Object.keys(clusterEnvironment({ scope: 'demo' }, 'nats://x:4222'))),
  );
  expect(env['NATRONI_SCOPE']).toBe(members[0]?.config.scope);
  const own = settingsFromEnv('metrics', env);
  expect(containerPorts(metrics ?? {})).toEqual([own.http.port]);
});

describe('HAProxy', () => {
  const haproxy = service('haproxy');
  const configFile = mountedFile(haproxy, '/usr/local/etc/haproxy/haproxy.cfg');
  const sections = readFileSync(configFile, 'utf8')
    .split(/^listen /m)
    .slice(1)
    .map((section) => ({ name: section.split(/\s/)[0], text: section }));

  test.each([
    ['primary', '/primary'],
    ['replicas', '/replica'],
  ])("%s checks %s on each member's own address, in Patroni's own words", (name, path) => {
    const section = sections.find((candidate) => candidate.name === name);
    expect(section?.text).toContain(`option httpchk OPTIONS ${path}`);
    expect(section?.text).toContain('http-check expect status 200');
    const serverLines = (section?.text ?? '')
      .split('\n')
      .filter((line) => /^\s*server /.test(line));
    const servers = serverLines.map((line) =>
      /^\s*server (\S+) (\S+) maxconn \d+ check port (\d+)$/.exec(line),
    );
    expect(servers.every(Boolean)).toBe(true);
    expect(servers.map((server) => server?.[1])).toEqual(members.map(({ name }) => name));
    for (const [, member = '', address, checkPort] of servers.map((server) => server ?? [])) {
      const { config } = members.find((candidate) => candidate.name === member) as Member;
      expect(address).toBe(
        `${hostOf(config.postgresql.connect_address)}:${portOf(config.postgresql.listen)}`,
      );
      expect(hostOf(config.restapi.connect_address)).toBe(hostOf(address ?? ''));
      expect(Number(checkPort)).toBe(portOf(config.restapi.listen));
    }
  });

  test('publishes the ports it binds', () => {
    const binds = sections.map((section) => Number(/bind \*:(\d+)/.exec(section.text)?.[1]));
    expect(containerPorts(haproxy).sort()).toEqual(binds.sort());
    expect(haproxy.depends_on).toEqual(
      expect.arrayContaining(gateways.map(([gatewayName]) => gatewayName)),
    );
  });
});

describe('the router updater', () => {
  const [[, updater] = []] = servicesRunning('router-updater');
  const env = environmentOf(updater ?? {});
  const configFile = mountedFile(updater ?? {}, env[ROUTER_CONFIG_VARIABLE] ?? '');
  const config = parseRouterConfig(parse(readFileSync(configFile, 'utf8')), configFile);
  const haproxyConfig = readFileSync(
    mountedFile(service('haproxy'), '/usr/local/etc/haproxy/haproxy.cfg'),
    'utf8',
  );

  test('gets the cluster-wide variables and starts after HAProxy', () => {
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(Object.keys(clusterEnvironment({ scope: 'demo' }, 'nats://x:4222'))),
    );
    expect(env['NATRONI_SCOPE']).toBe(members[0]?.config.scope);
    expect(updater?.depends_on).toContain('haproxy');
  });

  test("drives HAProxy's admin stats socket and the recipe's own sections and servers", () => {
    const [router] = config.haproxy;
    const socketPort = /^\s*stats socket ipv4@0\.0\.0\.0:(\d+) level admin$/m.exec(
      haproxyConfig,
    )?.[1];
    expect(config.haproxy).toHaveLength(1);
    expect(router?.stats_socket).toBe(`haproxy:${socketPort}`);
    expect(containerPorts(service('haproxy'))).not.toContain(Number(socketPort));
    const listens = [...haproxyConfig.matchAll(/^listen (\S+)$/gm)].map(([, name]) => name);
    expect(listens).toEqual(
      expect.arrayContaining([router?.primary_backend, ...(router?.replica_backends ?? [])]),
    );
    const serverNames = [...haproxyConfig.matchAll(/^\s*server (\S+) /gm)].map(([, name]) => name);
    for (const member of members)
      expect(serverNames).toContain(router?.servers[member.name] ?? member.name);
  });
});

describe('Prometheus and Grafana', () => {
  const prometheus = service('prometheus');
  const grafana = service('grafana');
  const [[metricsName, metrics] = []] = servicesRunning('metrics');

  test("Prometheus scrapes the metrics service's port and loads the alert rules beside its configuration", () => {
    const configFile = mountedFile(prometheus, '/etc/prometheus/prometheus.yml');
    const config = parse(readFileSync(configFile, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((group) => group.targets),
    );
    const port = settingsFromEnv('metrics', environmentOf(metrics ?? {})).http.port;
    expect(targets).toEqual([`${metricsName}:${port}`]);
    expect(prometheus.depends_on).toContain(metricsName);
    for (const rules of config.rule_files)
      expect(mountedFile(prometheus, join('/etc/prometheus', rules))).toBe(
        join(repo, 'deploy/prometheus/alerts.yml'),
      );
    expect(containerPorts(prometheus)).toEqual([9090]);
  });

  test('Grafana reads Prometheus and loads the natroni dashboard from the provisioned folder', () => {
    const provisioning = mountedFile(grafana, '/etc/grafana/provisioning');
    const datasources = parse(
      readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { type: string; url: string; isDefault: boolean }[] };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        type: 'prometheus',
        url: `http://prometheus:${containerPorts(prometheus)[0]}`,
        isDefault: true,
      }),
    ]);
    const providers = parse(readFileSync(join(provisioning, 'dashboards/natroni.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const folder = providers.providers[0]?.options.path ?? '';
    expect(mountedFile(grafana, `${folder}/natroni.json`)).toBe(
      join(repo, 'deploy/grafana/natroni.json'),
    );
    expect(grafana.depends_on).toContain('prometheus');
  });
});
