import { Injectable } from '@nestjs/common';
import {
  assertOnlyServersLinked,
  JsonApiError,
  type LinkedObjectKind,
} from '../../../../libs/domain/src/index.ts';
import { LinkedObjects } from './linked-objects.ts';
import { ServerInventory } from './server-inventory.ts';
import { ServerWriter } from './server-writer.ts';

/**
 * The writes on a service or the monitor (`maxctrl link`/`unlink`): its `servers` relationship is the
 * reverse of the servers' own, so setting it rewrites each server whose link changes, through the
 * server writer. Everything is checked before the first write.
 */
@Injectable()
export class LinkedObjectWriter {
  constructor(
    private readonly objects: LinkedObjects,
    private readonly inventory: ServerInventory,
    private readonly writer: ServerWriter,
  ) {}

  async relink(
    kind: LinkedObjectKind,
    name: string,
    lists: ReadonlyMap<string, readonly string[]>,
  ): Promise<void> {
    this.objects.find(kind, name);
    assertOnlyServersLinked(kind, name, lists);
    const servers = lists.get('servers');
    if (servers === undefined) return;
    const wanted = new Set(servers.map((server) => this.inventory.find(server)?.facts.name));
    const changes: { server: string; links: string[] }[] = [];
    for (const { facts } of this.inventory.servers()) {
      const current = kind === 'services' ? facts.services : facts.monitors;
      const linked = current.includes(name);
      const want = wanted.has(facts.name);
      if (linked === want) continue;
      if (kind === 'monitors' && facts.member) {
        throw JsonApiError.refused(
          `Server '${facts.name}' is a natroni member: it is always monitored by '${name}'`,
        );
      }
      changes.push({
        server: facts.name,
        links: want ? [...current, name] : current.filter((linkedName) => linkedName !== name),
      });
    }
    for (const { server, links } of changes)
      await this.writer.update(server, { relationships: { [kind]: links } });
  }
}
