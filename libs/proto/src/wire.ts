import {
  fromJson,
  toJsonString,
  type DescMessage,
  type JsonValue,
  type MessageShape,
} from '@bufbuild/protobuf';

/** A bus payload that does not decode as the expected message. */
export class WireDecodeError extends Error {
  override readonly name = 'WireDecodeError';

  constructor(
    /** Full protobuf name of the expected message, e.g. `natroni.v1.LeaseRecord`. */
    readonly typeName: string,
    /** What was wrong with the payload. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${typeName}: ${reason}`, options);
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Proto3 canonical JSON with the original (snake_case) field names, as it travels on the bus. */
export function toWireJson<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): string {
  return toJsonString(schema, message, { useProtoFieldName: true });
}

/** `toWireJson` as UTF-8 bytes, for a NATS payload or a KV value. */
export function encodeWire<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): Uint8Array {
  return utf8Encoder.encode(toWireJson(schema, message));
}

/**
 * Decodes a bus payload. Unknown fields are ignored, so that a reader keeps working when a newer writer
 * adds fields. Throws WireDecodeError for anything that is not a valid message of this type.
 */
export function decodeWire<Desc extends DescMessage>(
  schema: Desc,
  payload: Uint8Array | string,
): MessageShape<Desc> {
  const json = parseJson(schema.typeName, payload);
  if (
    !hasSpecialJsonForm(schema) &&
    (typeof json !== 'object' || json === null || Array.isArray(json))
  ) {
    throw new WireDecodeError(schema.typeName, `expected a JSON object, got ${describeJson(json)}`);
  }
  try {
    return fromJson(schema, json, { ignoreUnknownFields: true });
  } catch (error) {
    throw new WireDecodeError(schema.typeName, messageOf(error), { cause: error });
  }
}

function parseJson(typeName: string, payload: Uint8Array | string): JsonValue {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8Decoder.decode(payload);
  } catch (error) {
    throw new WireDecodeError(typeName, `invalid UTF-8: ${messageOf(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new WireDecodeError(typeName, `invalid JSON: ${messageOf(error)}`, { cause: error });
  }
}

// Well-known types such as google.protobuf.Value or Timestamp have JSON forms other than an object.
function hasSpecialJsonForm(schema: DescMessage): boolean {
  return schema.typeName.startsWith('google.protobuf.');
}

function describeJson(json: JsonValue): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  return `a ${typeof json}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
