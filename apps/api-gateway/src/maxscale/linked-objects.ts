import { Injectable } from '@nestjs/common';
import type { JsonObject } from '@bufbuild/protobuf';
import {
  collectionDocument,
  linkedObjectResource,
  JsonApiError,
  notALinkedObject,
  type LinkBase,
  type LinkedObjectKind,
  type LinkedObjectFacts,
} from '../../../../libs/domain/src/index.ts';
import { ServerInventory } from './server-inventory.ts';

/**
 * The services and the monitor of the `/v1` API, read-only: they exist so that a server's
 * relationship links resolve. Their `servers` relationship is the reverse of the servers' own.
 */
@Injectable()
export class LinkedObjects {
  constructor(private readonly inventory: ServerInventory) {}

  services(): LinkedObjectFacts[] {
    const servers = this.inventory.servers();
    return this.inventory.services.map((name) => ({
      name,
      kind: 'services',
      servers: servers
        .filter((server) => server.facts.services.includes(name))
        .map((server) => server.facts.name),
      attributes: { router: 'natroni', state: 'Started', parameters: {} },
    }));
  }

  monitors(): LinkedObjectFacts[] {
    const name = this.inventory.monitorName;
    return [
      {
        name,
        kind: 'monitors',
        servers: this.inventory
          .servers()
          .filter((server) => server.facts.monitors.includes(name))
          .map((server) => server.facts.name),
        attributes: { module: 'natroni', state: 'Running', parameters: { scope: name } },
      },
    ];
  }

  /** The object, or 404 "<name> is not a service" (or monitor). */
  find(kind: LinkedObjectKind, name: string): LinkedObjectFacts {
    const objects = kind === 'services' ? this.services() : this.monitors();
    const found = objects.find((object) => object.name === name);
    if (!found) throw notALinkedObject(kind, name);
    return found;
  }

  collection(links: LinkBase, kind: LinkedObjectKind): JsonObject {
    const objects = kind === 'services' ? this.services() : this.monitors();
    return collectionDocument(
      `${links.base}${kind}/`,
      objects.map((object) => linkedObjectResource(links, object)),
    );
  }

  single(links: LinkBase, kind: LinkedObjectKind, name: string): JsonObject {
    const resource = linkedObjectResource(links, this.find(kind, name));
    return { links: { self: (resource['links'] as JsonObject)['self'] ?? null }, data: resource };
  }

  /** The relationship object itself; 404 without a body when the object has none of that type. */
  relationship(links: LinkBase, kind: LinkedObjectKind, name: string, type: string): JsonObject {
    const resource = linkedObjectResource(links, this.find(kind, name));
    const found = (resource['relationships'] as JsonObject)[type];
    if (found === undefined || found === null || typeof found !== 'object' || Array.isArray(found))
      throw JsonApiError.notFound();
    return found;
  }
}
