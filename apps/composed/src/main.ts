import { bootComposedServices } from '../../../libs/service-core/src/index.ts';

/**
 * Several services in one process: `NATRONI_SERVICES=api-gateway:8080,metrics:9547`. Each service's
 * code is loaded only when the process runs it.
 */
void bootComposedServices({
  'node-agent': async () =>
    (await import('../../node-agent/src/node-agent-service.ts')).NODE_AGENT_SERVICE,
  election: async () => (await import('../../election/src/election-service.ts')).ELECTION_SERVICE,
  'api-gateway': async () =>
    (await import('../../api-gateway/src/api-gateway-service.ts')).composedGatewayService(
      process.env,
    ),
  metrics: async () => (await import('../../metrics/src/metrics-service.ts')).METRICS_SERVICE,
  'router-updater': async () =>
    (await import('../../router-updater/src/router-updater-service.ts')).ROUTER_UPDATER_SERVICE,
});
