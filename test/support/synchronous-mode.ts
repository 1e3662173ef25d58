import { create } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { ClusterKeys, type ClusterStore } from '../../libs/dcs/src/index.ts';
import { syncStandbyNames } from '../../libs/domain/src/index.ts';
import { waitUntil } from '../../libs/harness/src/index.ts';

/**
 * Turns `synchronous_mode` on in the `config` key and waits until the `sync` key names `leader` and a
 * synchronous standby; returns that standby's name.
 */
export async function enableSynchronousMode(store: ClusterStore, leader: string): Promise<string> {
  const config = (await store.get(ClusterKeys.config))!;
  await store.update(
    ClusterKeys.config,
    {
      ...config.value,
      synchronousMode: create(ValueSchema, { kind: { case: 'boolValue', value: true } }),
    },
    config.revision,
  );
  return waitUntil(
    async () => {
      const sync = await store.get(ClusterKeys.sync);
      const [name] = syncStandbyNames(sync?.value.syncStandby);
      return sync?.value.leader === leader ? name : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'the sync key to name a synchronous standby' },
  );
}
