/**
 * The lab's hosts: three NATS servers, three members and a client, each a network namespace with one
 * address on a shared bridge. Every run has its own bridge in a namespace of its own, so concurrent
 * runs may use the same private addresses and ports without meeting.
 */
export const LAB_SUBNET_PREFIX = '10.77.0';
export const LAB_PREFIX_LENGTH = 24;

export interface LabHost {
  readonly name: string;
  readonly address: string;
}

function host(name: string, lastOctet: number): LabHost {
  return { name, address: `${LAB_SUBNET_PREFIX}.${lastOctet}` };
}

export const NATS_HOSTS: readonly LabHost[] = [
  host('nats1', 11),
  host('nats2', 12),
  host('nats3', 13),
];
export const MEMBER_HOSTS: readonly LabHost[] = [host('pg1', 21), host('pg2', 22), host('pg3', 23)];
export const CLIENT_HOST: LabHost = host('client', 100);
export const LAB_HOSTS: readonly LabHost[] = [...NATS_HOSTS, ...MEMBER_HOSTS, CLIENT_HOST];

/** Each host has an address of its own, so every host uses the same well-known ports. */
export const LAB_PORTS = {
  nats: 4222,
  natsCluster: 6222,
  postgres: 5432,
  restapi: 8008,
  agent: 8110,
  election: 8210,
  gateway: 8080,
} as const;

/** The one interface of every host, towards the bridge. */
export const LAB_INTERFACE = 'eth0';

export function labHost(name: string): LabHost {
  const found = LAB_HOSTS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the lab has no host ${name}`);
  return found;
}
