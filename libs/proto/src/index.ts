// The bus contract: schemas and types generated from proto/natroni/v1 (run `npm run proto:gen`).
export * from './gen/natroni/v1/commands_pb.ts';
export * from './gen/natroni/v1/config_pb.ts';
export * from './gen/natroni/v1/events_pb.ts';
export * from './gen/natroni/v1/failover_pb.ts';
export * from './gen/natroni/v1/failsafe_pb.ts';
export * from './gen/natroni/v1/history_pb.ts';
export * from './gen/natroni/v1/initialize_pb.ts';
export * from './gen/natroni/v1/lease_pb.ts';
export * from './gen/natroni/v1/member_pb.ts';
export * from './gen/natroni/v1/server_pb.ts';
export * from './gen/natroni/v1/status_pb.ts';
export * from './gen/natroni/v1/sync_pb.ts';
export { decodeWire, encodeWire, toWireJson, WireDecodeError } from './wire.ts';
