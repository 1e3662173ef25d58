import { Injectable } from '@nestjs/common';
import { fromJson, type JsonObject } from '@bufbuild/protobuf';
import { ClusterKeys, RevisionConflictError } from '../../../../libs/dcs/src/index.ts';
import { dynamicConfigProblems, patchConfig } from '../../../../libs/domain/src/index.ts';
import {
  DynamicConfigSchema,
  toWireJson,
  type DynamicConfig,
} from '../../../../libs/proto/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

/** How many times a compare-and-set write is retried on a fresh read before the 409. */
const CAS_ATTEMPTS = 5;

/**
 * Writes the `config` key by compare-and-set on the revision it read: a concurrent change makes it
 * read again and re-apply the request, so no write is ever lost; after repeated conflicts it reports
 * 409.
 */
@Injectable()
export class ConfigWriter {
  constructor(private readonly cluster: LiveCluster) {}

  /** PATCH: merges into the stored config; returns the merged config's JSON. */
  async patch(patch: JsonObject): Promise<string> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const stored = await this.read();
      if (!stored) throw PatroniHttpError.page(503);
      const current = JSON.parse(toWireJson(DynamicConfigSchema, stored.value)) as JsonObject;
      const { config, changed } = patchConfig(current, patch);
      const decoded = this.checked(config);
      if (!changed) return toWireJson(DynamicConfigSchema, decoded);
      if (await this.write(decoded, stored.revision))
        return toWireJson(DynamicConfigSchema, decoded);
    }
    throw PatroniHttpError.page(409);
  }

  /** PUT: replaces the stored config; returns it. */
  async replace(body: JsonObject): Promise<string> {
    const decoded = this.checked(body);
    const wire = toWireJson(DynamicConfigSchema, decoded);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const stored = await this.read();
      if (stored && toWireJson(DynamicConfigSchema, stored.value) === wire) return wire;
      if (await this.write(decoded, stored?.revision ?? 0)) return wire;
    }
    throw PatroniHttpError.page(409);
  }

  /** Decoded and checked before anything is written: a refused request leaves the key as it was. */
  private checked(config: JsonObject): DynamicConfig {
    return checked(config, this.cluster.view.members.size);
  }

  private async read(): Promise<{ value: DynamicConfig; revision: number } | undefined> {
    try {
      return await this.cluster.store.get(ClusterKeys.config);
    } catch {
      throw PatroniHttpError.page(503);
    }
  }

  /** True when written; false on a revision conflict. */
  private async write(config: DynamicConfig, revision: number): Promise<boolean> {
    try {
      if (revision === 0) await this.cluster.store.create(ClusterKeys.config, config);
      else await this.cluster.store.update(ClusterKeys.config, config, revision);
      return true;
    } catch (error) {
      if (error instanceof RevisionConflictError) return false;
      throw PatroniHttpError.page(502);
    }
  }
}

function checked(config: JsonObject, memberCount: number): DynamicConfig {
  let decoded: DynamicConfig;
  try {
    decoded = fromJson(DynamicConfigSchema, config);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PatroniHttpError(400, `Invalid dynamic configuration: ${reason}`);
  }
  const problems = dynamicConfigProblems(decoded, { memberCount });
  if (problems.length > 0)
    throw new PatroniHttpError(422, `Invalid dynamic configuration: ${problems.join('; ')}`);
  return decoded;
}
