export {
  connAddress,
  EMPTY_ROUTER_VIEW,
  nextRouterView,
  type RoutedMember,
  type RouterInput,
  type RouterView,
} from './router-view.ts';
export {
  haproxyCommands,
  serverSettings,
  type HaproxyBackends,
  type ServerSetting,
  type ServerSettings,
} from './haproxy-runtime.ts';
export { pgbouncerDatabases } from './pgbouncer-databases.ts';
