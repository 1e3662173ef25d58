import cluster from 'node:cluster';
import { Logger, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createNestLogger, createServiceLog, serviceLogFields } from '../../logging/src/index.ts';
import { loadMemberConfig, type MemberConfig } from '../../member-config/src/index.ts';
import {
  settingsFromEnv,
  type ServiceName,
  type ServiceSettings,
} from '../../service-settings/src/index.ts';

/** The member's YAML configuration file, when a service is started with one. */
export const CONFIG_FILE_VARIABLE = 'NATRONI_CONFIG';

/** A service's member configuration file (when NATRONI_CONFIG names one) and settings from the environment. */
export async function loadServiceSettings(
  service: ServiceName,
): Promise<{ settings: ServiceSettings; config: MemberConfig | undefined }> {
  const configFile = process.env[CONFIG_FILE_VARIABLE];
  const config = configFile ? await loadMemberConfig(configFile, process.env) : undefined;
  return { settings: settingsFromEnv(service, process.env, config), config };
}

/** Logs why the service could not start and ends the process with exit code 1. */
export function failedToStart(service: ServiceName, error: unknown): never {
  createServiceLog({ service }).fatal({ err: error }, `${service} failed to start`);
  process.exit(1);
}

/**
 * Starts one service: its settings (`loadServiceSettings`), its root module on Fastify, shutdown on
 * SIGTERM and SIGINT, `configure` (what the service adds before it listens), then listening. A failure
 * to start is logged and ends the process with exit code 1.
 */
export async function bootService(
  service: ServiceName,
  rootModule: (settings: ServiceSettings, config: MemberConfig | undefined) => DynamicModule,
  configure?: (app: NestFastifyApplication) => Promise<void>,
): Promise<NestFastifyApplication> {
  try {
    const { settings, config } = await loadServiceSettings(service);
    const app = await NestFactory.create<NestFastifyApplication>(
      rootModule(settings, config),
      new FastifyAdapter(),
      { logger: createNestLogger(serviceLogFields(settings)), abortOnError: false },
    );
    // Only these two: Deno refuses to bind some of the signals Nest listens to by default (SIGILL).
    // useProcessExit makes a clean shutdown end with exit code 0 instead of re-raising the signal.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    await configure?.(app);
    const { host, port } = settings.http;
    await app.listen(port, host);
    // A cluster worker's listeners are its primary's; the primary says when the service is ready.
    const worker = cluster.worker?.id;
    new Logger('Boot').log(
      worker === undefined
        ? { msg: `${service} ready`, host, port }
        : { msg: `${service} worker ready`, worker, host, port },
    );
    return app;
  } catch (error) {
    failedToStart(service, error);
  }
}
