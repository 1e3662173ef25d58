/**
 * The client library's entry point for programs outside this repository (Deno or Node): the client,
 * its types, and `connect` from the NATS transport it is tested with. The packages it imports are
 * resolved from this repository's node_modules; see docs/events.md.
 */
export * from './src/index.ts';
export { connect } from '@nats-io/transport-node';
