import { clone, create, equals, type JsonObject } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Injectable } from '@nestjs/common';
import {
  RevisionConflictError,
  serverKey,
  type ClusterView,
} from '../../../../libs/dcs/src/index.ts';
import {
  assertDrainable,
  assertStateSettable,
  endpointOf,
  JsonApiError,
  MEMBER_DERIVED_PARAMETERS,
  mergeParameters,
  notAServer,
  parameterSetErrors,
  refuseParameters,
  serverKeyToken,
  storedParameters,
  type CreateServerRequest,
  type RelationshipChanges,
  type RelationshipKind,
  type SettableState,
  type UpdateServerRequest,
} from '../../../../libs/domain/src/index.ts';
import {
  ServerLinksSchema,
  ServerRecordSchema,
  type ServerRecord,
} from '../../../../libs/proto/src/index.ts';
import { AgentCommands } from '../patroni/agent-commands.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { ServerInventory, type InventoryServer } from './server-inventory.ts';
import { UnmanagedServerMonitor } from './unmanaged-server-monitor.ts';

const CAS_ATTEMPTS = 5;
const VIEW_WAIT_MS = 5_000;
const TERMINATE_TIMEOUT_MS = 10_000;
const MASKED_PASSWORD = '*****';
const PASSWORD_PARAMETERS = ['monitorpw'];

/** Where a server listens, as MaxScale prints it: `[address]:port` or the socket path. */
function endpointLabel(parameters: JsonObject): string | undefined {
  const endpoint = endpointOf(parameters);
  if (endpoint.socket !== undefined) return endpoint.socket;
  if (endpoint.address === undefined) return undefined;
  return `[${endpoint.address}]:${endpoint.port ?? 5432}`;
}

/**
 * The `/v1` writes: each one reads the server's record from KV, computes the new one and writes it with
 * compare-and-set (retried on a concurrent change), then waits until this gateway's view shows it, so
 * that a GET right after a write sees the write. A write that changes nothing is not made.
 */
@Injectable()
export class ServerWriter {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly inventory: ServerInventory,
    private readonly agents: AgentCommands,
    private readonly monitor: UnmanagedServerMonitor,
  ) {}

  async create(request: CreateServerRequest): Promise<void> {
    const parameters = storedParameters(request.parameters);
    const taken = this.inventory.kindNamed(request.name);
    if (taken) {
      throw JsonApiError.refused(
        `Can't create server '${request.name}', a ${taken} with that name already exists`,
      );
    }
    refuseParameters(parameterSetErrors(parameters));
    this.refuseDuplicateEndpoint(request.name, parameters, 'create');
    const links = this.checkedLinks(request.name, false, request.relationships);
    const record = create(ServerRecordSchema, {
      name: request.name,
      member: false,
      parameters,
      createdAt: timestampNow(),
      ...(links.services ? { services: { names: links.services } } : {}),
      ...(links.monitors ? { monitors: { names: links.monitors } } : {}),
    });
    const key = serverKey(request.name);
    try {
      const revision = await this.cluster.store.create(key, record);
      await this.viewShows(
        (view) => (view.servers.get(serverKeyToken(request.name))?.revision ?? 0) >= revision,
      );
    } catch (error) {
      if (error instanceof RevisionConflictError) {
        throw JsonApiError.refused(
          `Can't create server '${request.name}', a server with that name already exists`,
        );
      }
      throw error;
    }
  }

  async update(name: string, request: UpdateServerRequest): Promise<void> {
    const server = this.existing(name);
    const links = this.checkedLinks(server.facts.name, server.facts.member, request.relationships);
    const patch = request.parameters;
    const parameters = patch ? this.mergedParameters(server, patch) : undefined;
    await this.mutate(server, (record) => {
      if (parameters) record.parameters = parameters;
      if (links.services) record.services = this.links(server, links.services);
      if (links.monitors) record.monitors = this.links(server, links.monitors);
    });
  }

  /** For a server that is not a member, no links is the default: the field is left unset. */
  private links(server: InventoryServer, names: string[]): ServerRecord['services'] {
    if (names.length === 0 && !server.facts.member) return undefined;
    return create(ServerLinksSchema, { names });
  }

  async relink(name: string, kind: RelationshipKind, names: string[]): Promise<void> {
    await this.update(name, { relationships: { [kind]: names } });
  }

  async destroy(name: string, force: boolean): Promise<void> {
    const server = this.existing(name);
    if (server.facts.member) {
      throw JsonApiError.refused(
        `Cannot destroy server '${server.facts.name}': it is a member of the natroni cluster '${this.cluster.scope}'`,
      );
    }
    const users = [...[...server.facts.services].sort(), ...server.facts.monitors];
    if (users.length > 0 && !force) {
      throw JsonApiError.refused(
        `Cannot destroy server '${server.facts.name}' as it is used by: ${users.join(', ')}`,
      );
    }
    const token = serverKeyToken(server.facts.name);
    const key = serverKey(token);
    const current = await this.cluster.store.get(key);
    if (current) await this.cluster.store.delete(key, current.revision);
    await this.viewShows((view) => !view.servers.has(token));
  }

  async changeState(
    name: string,
    state: SettableState,
    set: boolean,
    force: boolean,
  ): Promise<void> {
    const server = this.existing(name);
    assertStateSettable(server.facts.name, server.facts.member, state);
    assertDrainable(server.facts.member && server.facts.bits.master === true, set, state);
    const record = await this.mutate(server, (next) => {
      if (state === 'maintenance') next.maintenance = set;
      else if (state === 'drain') next.drain = set;
      else {
        const bits = new Set(next.status);
        if (set) bits.add(state);
        else bits.delete(state);
        next.status = [...bits].sort();
      }
    });
    if (set && force && state === 'maintenance') await this.closeConnections(server, record);
  }

  /** A Down server has no connections to close: its maintenance is all there is to do. */
  private async closeConnections(server: InventoryServer, record: ServerRecord): Promise<void> {
    const name = server.facts.name;
    if (!server.facts.bits.running) return;
    if (server.facts.member) {
      const reply = await this.agents.send(name, 'terminate_connections', {}, TERMINATE_TIMEOUT_MS);
      if (!reply.ok) {
        throw new JsonApiError(503, [
          `Server '${name}' is in maintenance, but its connections were not closed: ${reply.message}`,
        ]);
      }
      return;
    }
    try {
      await this.monitor.terminateConnections(record);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new JsonApiError(503, [
        `Server '${name}' is in maintenance, but its connections were not closed: ${reason}`,
      ]);
    }
  }

  private existing(name: string): InventoryServer {
    const server = this.inventory.find(name);
    if (!server) throw notAServer(name);
    return server;
  }

  /** Reads, changes and writes the record with compare-and-set; returns what was written. */
  private async mutate(
    server: InventoryServer,
    change: (record: ServerRecord) => void,
  ): Promise<ServerRecord> {
    const token = serverKeyToken(server.facts.name);
    const key = serverKey(token);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const current = await this.cluster.store.get(key);
      if (!current && !server.facts.member) throw notAServer(server.facts.name);
      const next = current
        ? clone(ServerRecordSchema, current.value)
        : create(ServerRecordSchema, { name: server.facts.name, member: true });
      change(next);
      if (current && equals(ServerRecordSchema, current.value, next)) return next;
      try {
        const revision = current
          ? await this.cluster.store.update(key, next, current.revision)
          : await this.cluster.store.create(key, next);
        await this.viewShows((view) => (view.servers.get(token)?.revision ?? 0) >= revision);
        return next;
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
    throw new JsonApiError(409, [
      `Server '${server.facts.name}' kept changing during the update: try again`,
    ]);
  }

  private mergedParameters(server: InventoryServer, patch: JsonObject): JsonObject {
    const stored = server.record?.parameters ?? {};
    const accepted: JsonObject = {};
    for (const [name, value] of Object.entries(patch)) {
      if (PASSWORD_PARAMETERS.includes(name) && value === MASKED_PASSWORD) continue;
      if (server.facts.member && (MEMBER_DERIVED_PARAMETERS as readonly string[]).includes(name)) {
        const current = server.facts.parameters[name] ?? null;
        if (value !== current) {
          throw JsonApiError.refused(
            `Parameter '${name}' of server '${server.facts.name}' comes from the natroni member's conn_url and cannot be changed`,
          );
        }
        continue;
      }
      accepted[name] = value;
    }
    const merged = mergeParameters(stored, accepted);
    if (server.facts.member) {
      const derived: JsonObject = {};
      for (const name of MEMBER_DERIVED_PARAMETERS) {
        const value = server.facts.parameters[name];
        if (value !== undefined) derived[name] = value;
      }
      refuseParameters(parameterSetErrors({ ...merged, ...derived }));
      return merged;
    }
    refuseParameters(parameterSetErrors(merged));
    this.refuseDuplicateEndpoint(server.facts.name, merged, 'update');
    return merged;
  }

  private refuseDuplicateEndpoint(
    name: string,
    parameters: JsonObject,
    action: 'create' | 'update',
  ): void {
    const label = endpointLabel(parameters);
    if (label === undefined) return;
    const token = serverKeyToken(name);
    for (const other of this.inventory.servers()) {
      if (serverKeyToken(other.facts.name) === token) continue;
      if (endpointLabel(other.facts.parameters) !== label) continue;
      throw JsonApiError.refused(
        action === 'create'
          ? `Cannot create server '${name}' at '${label}', server '${other.facts.name}' exists there already.`
          : `Cannot update server '${name}' to '${label}', server '${other.facts.name}' exists there already.`,
      );
    }
  }

  /** Relationship rules beyond existence: a member is always monitored by the cluster's monitor. */
  private checkedLinks(
    name: string,
    member: boolean,
    changes: RelationshipChanges,
  ): RelationshipChanges {
    const monitors = changes.monitors;
    if (member && monitors !== undefined) {
      const expected = this.inventory.monitorName;
      if (monitors.length !== 1 || monitors[0] !== expected) {
        throw JsonApiError.refused(
          `Server '${name}' is a natroni member: it is always monitored by '${expected}'`,
        );
      }
    }
    return changes;
  }

  private viewShows(done: (view: ClusterView) => boolean): Promise<void> {
    if (done(this.cluster.view)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new JsonApiError(503, [
            `The write was stored, but this gateway did not see it within ${VIEW_WAIT_MS / 1000} seconds`,
          ]),
        );
      }, VIEW_WAIT_MS);
      const unsubscribe = this.cluster.onChange(() => {
        if (!done(this.cluster.view)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }
}
