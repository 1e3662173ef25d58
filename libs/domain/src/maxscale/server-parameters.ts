import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { JsonApiError } from './json-api-error.ts';

type Kind = 'string' | 'integer' | 'boolean' | 'duration' | 'enum' | 'threshold';

interface ParameterSpec {
  readonly kind: Kind;
  /** Shown when the parameter is unset. */
  readonly shown: JsonValue;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly password?: boolean;
}

const string = (password = false): ParameterSpec => ({ kind: 'string', shown: null, password });
const integer = (shown: number, min: number, max: number): ParameterSpec => ({
  kind: 'integer',
  shown,
  min,
  max,
});
const boolean = (): ParameterSpec => ({ kind: 'boolean', shown: false });

const MAX_PORT = 65535;
const MAX_INT = 2 ** 31 - 1;
export const MAX_ADDRESS_LENGTH = 1024;

const SSL_VERSIONS = [
  'MAX',
  'TLSv10',
  'TLSv11',
  'TLSv12',
  'TLSv13',
  'TLSv1.0',
  'TLSv1.1',
  'TLSv1.2',
  'TLSv1.3',
];

/** MaxScale's server parameters, plus `protocol` (its 2.x API document lists it). */
const SPEC: Readonly<Record<string, ParameterSpec>> = {
  address: string(),
  private_address: string(),
  socket: string(),
  port: integer(5432, 0, MAX_PORT),
  extra_port: integer(0, 0, MAX_PORT),
  priority: integer(0, -MAX_INT, MAX_INT),
  monitoruser: string(),
  monitorpw: string(true),
  replication_custom_options: string(),
  persistpoolmax: integer(0, 0, MAX_INT),
  persistmaxtime: { kind: 'duration', shown: '0ms' },
  proxy_protocol: boolean(),
  disk_space_threshold: { kind: 'threshold', shown: null },
  rank: { kind: 'enum', shown: 'primary', values: ['primary', 'secondary'] },
  max_routing_connections: integer(0, 0, MAX_INT),
  protocol: { kind: 'string', shown: 'postgresql' },
  ssl: boolean(),
  ssl_cert: string(),
  ssl_key: string(),
  ssl_ca: string(),
  ssl_version: { kind: 'enum', shown: 'MAX', values: SSL_VERSIONS },
  ssl_cipher: string(),
  ssl_cert_verify_depth: integer(9, 0, MAX_INT),
  ssl_verify_peer_certificate: boolean(),
  ssl_verify_peer_host: boolean(),
};

/** Accepted on input and never shown, as MaxScale does. */
const LEGACY = new Set(['type', 'authenticator']);
const ALIASES: Readonly<Record<string, string>> = { ssl_ca_cert: 'ssl_ca' };

/** Parameters natroni derives for its own members; a PATCH may only repeat their current values. */
export const MEMBER_DERIVED_PARAMETERS = ['address', 'port', 'socket'] as const;

const CUSTOM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DURATION = /^(\d+)(h|m|s|ms)?$/;
const DURATION_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

export function jsonTypeName(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'real';
  return typeof value;
}

function expected(name: string, kind: string, value: JsonValue): string {
  return `${name}: Expected a json ${kind}, but got a json ${jsonTypeName(value)}.`;
}

/** The problem with one parameter's value, or undefined when it is acceptable. */
function valueError(name: string, value: JsonValue): string | undefined {
  if (typeof value === 'string' && value.includes('\n'))
    return `Parameter '${name}' contains unescaped newlines`;
  const spec = SPEC[name];
  if (!spec) {
    if (LEGACY.has(name))
      return typeof value === 'string' ? undefined : expected(name, 'string', value);
    if (!CUSTOM_NAME.test(name)) return `servers: The parameter '${name}' is unrecognized.`;
    const type = typeof value;
    return type === 'string' || type === 'number' || type === 'boolean'
      ? undefined
      : `Custom parameter '${name}' must be a string, a number or a boolean, not a json ${jsonTypeName(value)}.`;
  }
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : expected(name, 'string', value);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : expected(name, 'boolean', value);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return expected(name, 'integer', value);
      if (value > (spec.max ?? MAX_INT))
        return `${name}: Too large a value: ${value}, the maximum is ${spec.max}.`;
      if (value < (spec.min ?? 0))
        return `${name}: Too small a value: ${value}, the minimum is ${spec.min}.`;
      return undefined;
    case 'enum':
      if (typeof value !== 'string') return expected(name, 'string', value);
      return spec.values?.includes(value)
        ? undefined
        : `${name}: Invalid enumeration value: ${value}. Valid values are: ${spec.values?.join(', ')}.`;
    case 'duration':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return undefined;
      if (typeof value === 'string' && DURATION.test(value)) return undefined;
      return `${name}: Invalid duration: ${JSON.stringify(value)}.`;
    case 'threshold':
      return thresholdError(name, value);
  }
}

function thresholdError(name: string, value: JsonValue): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return expected(name, 'object', value);
  for (const [path, percent] of Object.entries(value)) {
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100)
      return `${name}: Invalid disk space threshold for '${path}': use a whole percentage 0-100.`;
  }
  return undefined;
}

/** Checks each value of a `parameters` object against the specification; returns the messages. */
export function parameterValueErrors(parameters: JsonObject): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (value === null) continue;
    const error = valueError(canonicalName(name), value);
    if (error) errors.push(error);
  }
  return errors;
}

/** Aliases resolved to their current names (`ssl_ca_cert` → `ssl_ca`). */
function canonicalName(name: string): string {
  return ALIASES[name] ?? name;
}

/**
 * The stored parameters after a PATCH: `patch` is merged in, keys set to null are removed (back to
 * their defaults), and empty strings count as unset.
 */
export function mergeParameters(current: JsonObject, patch: JsonObject): JsonObject {
  const merged: JsonObject = { ...current };
  for (const [rawName, value] of Object.entries(patch)) {
    const name = canonicalName(rawName);
    if (value === null || value === '') delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

function text(parameters: JsonObject, name: string): string | undefined {
  const value = parameters[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Where a server listens, for the duplicate check and for the monitor's connections. */
export interface ServerEndpoint {
  readonly address?: string;
  readonly port?: number;
  readonly socket?: string;
}

export function endpointOf(parameters: JsonObject): ServerEndpoint {
  const address = text(parameters, 'address');
  const socket = text(parameters, 'socket');
  const port = parameters['port'];
  return {
    ...(address === undefined ? {} : { address }),
    ...(socket === undefined ? {} : { socket }),
    ...(typeof port === 'number' ? { port } : {}),
  };
}

const HOSTNAME = /^[A-Za-z0-9._:%\-[\]]+$/;

/**
 * The rules on the whole parameter set: address xor socket, the port with an
 * address (MaxScale 2.x's documented rule), monitoruser with monitorpw, ssl_cert with ssl_key.
 */
export function parameterSetErrors(parameters: JsonObject): string[] {
  const errors = parameterValueErrors(parameters);
  if (errors.length > 0) return errors;
  const address = text(parameters, 'address');
  const socket = text(parameters, 'socket');
  if (address !== undefined && socket !== undefined) {
    errors.push(
      `Both 'address=${address}' and 'socket=${socket}' defined: only one of the parameters can be defined`,
    );
  } else if (address === undefined && socket === undefined) {
    errors.push("Missing a required parameter: either 'address' or 'socket' must be defined");
  } else if (address !== undefined) {
    if (address.length > MAX_ADDRESS_LENGTH) {
      errors.push(
        `The new value for address is too long. Maximum length is ${MAX_ADDRESS_LENGTH} characters.`,
      );
    } else if (address.startsWith('/') || !HOSTNAME.test(address)) {
      errors.push("The 'address' parameter is not a valid IP or hostname");
    } else if (parameters['port'] === undefined) {
      errors.push("Request body does not define the '/data/attributes/parameters/port' field");
    }
  }
  const user = text(parameters, 'monitoruser');
  const password = text(parameters, 'monitorpw');
  if (user !== undefined && password === undefined)
    errors.push("If 'monitoruser is defined, 'monitorpw' must also be defined.");
  if (password !== undefined && user === undefined)
    errors.push("If 'monitorpw is defined, 'monitoruser' must also be defined.");
  if (
    parameters['ssl'] === true &&
    (text(parameters, 'ssl_cert') === undefined) !== (text(parameters, 'ssl_key') === undefined)
  ) {
    errors.push("Both 'ssl_cert' and 'ssl_key' must be defined");
  }
  return errors;
}

/** Drops nulls and empty strings and resolves aliases: what a create stores. */
export function storedParameters(parameters: JsonObject): JsonObject {
  return mergeParameters({}, parameters);
}

function shownDuration(value: JsonValue): JsonValue {
  if (typeof value === 'number') return `${value * 1000}ms`;
  if (typeof value !== 'string') return value;
  const match = DURATION.exec(value);
  if (!match) return value;
  return `${Number(match[1]) * (DURATION_MS[match[2] ?? 's'] ?? 1)}ms`;
}

/**
 * The complete parameter set a GET shows: every parameter of the specification with
 * its default or null, custom parameters as stored, passwords masked, legacy keys left out. A socket
 * server shows `address` and `port` as null.
 */
export function shownParameters(stored: JsonObject): JsonObject {
  const shown: JsonObject = {};
  for (const [name, spec] of Object.entries(SPEC)) {
    const value = stored[name];
    if (value === undefined || value === null || value === '') shown[name] = spec.shown;
    else if (spec.password) shown[name] = '*****';
    else if (spec.kind === 'duration') shown[name] = shownDuration(value);
    else shown[name] = value;
  }
  if (text(stored, 'socket') !== undefined) {
    shown['address'] = null;
    shown['port'] = null;
  }
  for (const [name, value] of Object.entries(stored)) {
    if (Object.hasOwn(SPEC, name) || LEGACY.has(name) || Object.hasOwn(ALIASES, name)) continue;
    shown[name] = value;
  }
  return shown;
}

/** Only the custom (weighting) parameters and the settable known ones: what a member may store. */
export function isKnownParameter(name: string): boolean {
  return Object.hasOwn(SPEC, name) || LEGACY.has(name) || Object.hasOwn(ALIASES, name);
}

/** The stored password of a parameter set, for the monitor's connections. */
export function monitorCredentials(
  parameters: JsonObject,
): { user: string; password: string } | undefined {
  const user = text(parameters, 'monitoruser');
  const password = text(parameters, 'monitorpw');
  return user !== undefined && password !== undefined ? { user, password } : undefined;
}

export function refuseParameters(errors: string[]): void {
  if (errors.length > 0) throw JsonApiError.refused(...errors);
}
