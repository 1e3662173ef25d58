// Type-only imports: the domain rules read the bus messages' shapes but load nothing at run time.
export type {
  DynamicConfig,
  FailoverRequest,
  History,
  MemberStatus,
} from '../../../proto/src/index.ts';
export type { JsonObject, JsonValue } from '@bufbuild/protobuf';
