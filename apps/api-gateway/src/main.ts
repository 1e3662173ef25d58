import cluster from 'node:cluster';
import { createServiceLog, serviceLogFields } from '../../../libs/logging/src/index.ts';
import {
  bootService,
  failedToStart,
  loadServiceSettings,
} from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { API_GATEWAY_SERVICE } from './api-gateway-service.ts';
import { reportWorkerReady, runGatewayWorkers } from './gateway-workers.ts';
import { gatewaySettingsFromEnv } from './gateway-settings.ts';
import { v1SettingsFromEnv } from './maxscale/v1-settings.ts';

/** Every setting is checked before any worker is forked, so that a bad one stops the gateway at once. */
async function checkedSettings(): Promise<{ settings: ServiceSettings; workers: number }> {
  const { settings } = await loadServiceSettings('api-gateway');
  const { workers } = gatewaySettingsFromEnv(process.env);
  v1SettingsFromEnv(process.env);
  return { settings, workers };
}

async function main(): Promise<void> {
  if (cluster.isWorker) {
    await bootService(API_GATEWAY_SERVICE);
    reportWorkerReady();
    return;
  }
  const { settings, workers } = await checkedSettings().catch((error: unknown) =>
    failedToStart('api-gateway', error),
  );
  if (workers === 1) {
    await bootService(API_GATEWAY_SERVICE);
    return;
  }
  runGatewayWorkers({
    workers,
    http: settings.http,
    log: createServiceLog(serviceLogFields(settings), { sync: true }),
  });
}

void main();
