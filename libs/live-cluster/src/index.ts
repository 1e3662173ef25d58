export { LiveCluster } from './live-cluster.ts';
