import cluster from 'node:cluster';
import type { DynamicModule } from '@nestjs/common';
import { createServiceLog, serviceLogFields } from '../../../libs/logging/src/index.ts';
import {
  bootService,
  failedToStart,
  loadServiceSettings,
} from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { ApiGatewayModule } from './api-gateway.module.ts';
import { configureGateway } from './configure-gateway.ts';
import { reportWorkerReady, runGatewayWorkers } from './gateway-workers.ts';
import { gatewaySettingsFromEnv } from './gateway-settings.ts';
import { v1SettingsFromEnv } from './maxscale/v1-settings.ts';

function rootModule(settings: ServiceSettings): DynamicModule {
  return ApiGatewayModule.forRoot(
    settings,
    gatewaySettingsFromEnv(process.env),
    v1SettingsFromEnv(process.env),
  );
}

/** Every setting is checked before any worker is forked, so that a bad one stops the gateway at once. */
async function checkedSettings(): Promise<{ settings: ServiceSettings; workers: number }> {
  const { settings } = await loadServiceSettings('api-gateway');
  const { workers } = gatewaySettingsFromEnv(process.env);
  v1SettingsFromEnv(process.env);
  return { settings, workers };
}

async function main(): Promise<void> {
  if (cluster.isWorker) {
    await bootService('api-gateway', rootModule, configureGateway);
    reportWorkerReady();
    return;
  }
  const { settings, workers } = await checkedSettings().catch((error: unknown) =>
    failedToStart('api-gateway', error),
  );
  if (workers === 1) {
    await bootService('api-gateway', rootModule, configureGateway);
    return;
  }
  runGatewayWorkers({
    workers,
    http: settings.http,
    log: createServiceLog(serviceLogFields(settings), { sync: true }),
  });
}

void main();
