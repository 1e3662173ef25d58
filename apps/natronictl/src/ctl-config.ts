import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliFailure } from './exit-code.ts';

/** What natronictl takes from a Patroni-style configuration file. */
export interface CtlConfig {
  readonly scope?: string;
  readonly namespace?: string;
  /** The gateway's listener for a member, from `restapi` (https when it names a certificate). */
  readonly gatewayUrl?: string;
  /** `ctl.authentication`, else `restapi.authentication`. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** `ctl.insecure`: accept a gateway certificate that does not verify. */
  readonly insecure: boolean;
  readonly natsServers?: readonly string[];
  /** `postgresql.authentication.superuser`, for `query`. */
  readonly superuser?: { readonly username?: string; readonly password?: string };
}

/** patronictl's default: `~/.config/patroni/patronictl.yaml`, read only when it exists. */
export const DEFAULT_CONFIG_FILE = join(homedir(), '.config', 'patroni', 'patronictl.yaml');

type Mapping = Readonly<Record<string, unknown>>;

function mapping(value: unknown): Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Mapping)
    : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function credentials(value: unknown): CtlConfig['auth'] {
  const section = mapping(value);
  const username = text(section['username']);
  const password = section['password'];
  return username === undefined ? undefined : { username, password: String(password ?? '') };
}

/** `host:port` to connect to: a wildcard listen address means this machine. */
function connectAddress(restapi: Mapping): string | undefined {
  const address = text(restapi['connect_address']) ?? text(restapi['listen']);
  if (address === undefined) return undefined;
  return address.replace(/^(0\.0\.0\.0|\*|::|\[::\]|)(?=:\d+$)/, '127.0.0.1');
}

/** Reads a Patroni-style YAML configuration's `scope`, `restapi`, `ctl`, `nats` and superuser. */
export function ctlConfigFrom(document: unknown): CtlConfig {
  const root = mapping(document);
  const restapi = mapping(root['restapi']);
  const ctl = mapping(root['ctl']);
  const address = connectAddress(restapi);
  const tls = text(restapi['certfile']) !== undefined;
  const superuser = mapping(mapping(mapping(root['postgresql'])['authentication'])['superuser']);
  const servers = mapping(root['nats'])['servers'];
  const insecure = ctl['insecure'];
  const auth = credentials(ctl['authentication']) ?? credentials(restapi['authentication']);
  return {
    ...(text(root['scope']) === undefined ? {} : { scope: String(root['scope']) }),
    ...(text(root['namespace']) === undefined ? {} : { namespace: String(root['namespace']) }),
    ...(address === undefined ? {} : { gatewayUrl: `${tls ? 'https' : 'http'}://${address}` }),
    ...(auth === undefined ? {} : { auth }),
    insecure: insecure === true || insecure === 'true' || insecure === 'on',
    ...(Array.isArray(servers) ? { natsServers: servers.map(String) } : {}),
    ...(Object.keys(superuser).length === 0
      ? {}
      : {
          superuser: {
            ...(text(superuser['username']) === undefined
              ? {}
              : { username: String(superuser['username']) }),
            ...(superuser['password'] === undefined
              ? {}
              : { password: String(superuser['password']) }),
          },
        }),
  };
}

/**
 * The configuration file named by `-c` (or PATRONICTL_CONFIG_FILE), else patronictl's default one if
 * it exists. A file named explicitly must be readable, with patronictl's message when it is not.
 */
export async function loadCtlConfig(path: string | undefined): Promise<CtlConfig> {
  const file = path ?? DEFAULT_CONFIG_FILE;
  const readable = await access(file).then(
    () => true,
    () => false,
  );
  if (!readable) {
    if (path === undefined || path === DEFAULT_CONFIG_FILE) return { insecure: false };
    throw new CliFailure(
      `Provided config file ${path} not existing or no read rights. Check the -c/--config-file parameter`,
    );
  }
  let document: unknown;
  try {
    document = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliFailure(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  return ctlConfigFrom(document);
}
