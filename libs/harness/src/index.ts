export { freeListenPort, freePort } from './free-port.ts';
export { registerChild, waitForExit } from './child-registry.ts';
export { waitUntil, type WaitOptions } from './wait-until.ts';
export {
  NatsServerProcess,
  natsServerBinary,
  type NatsServerOptions,
} from './nats-server-process.ts';
export {
  PostgresInstance,
  postgresBinDir,
  type ConfigValue,
  type InitdbOptions,
  type PostgresExit,
  type ShutdownMode,
} from './postgres-instance.ts';
export { ensureUnprivilegedUser, type OsUser } from './unprivileged-user.ts';
export {
  findProcessesUnder,
  killProcessesUnder,
  type LeftoverProcess,
} from './leftover-processes.ts';
export {
  ServiceProcess,
  type ComposedProcessOptions,
  type HealthAnswer,
  type ServiceApp,
  type ServiceProcessOptions,
} from './service-process.ts';
export {
  clusterEnvironment,
  defaultClusterPorts,
  freeClusterPorts,
  gatewayEnvironment,
  LEAN_HEAP_ARGUMENTS,
  LocalCluster,
  LOCAL_CLUSTER_SUPERUSER,
  memberConfigDocument,
  postgresqlSection,
  type ClusterPorts,
  type LocalClusterOptions,
  type ProcessLayout,
  type LocalMember,
  type MemberPorts,
} from './local-cluster.ts';
export {
  NatsClusterServer,
  natsClusterConfig,
  type NatsClusterServerOptions,
} from './nats-cluster-server.ts';
export { postgresClient, waitForSqlConnections, type PostgresLogin } from './postgres-client.ts';
