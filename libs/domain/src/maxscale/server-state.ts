/** The status bits of a server, as MaxScale keeps them. */
export interface ServerStatusBits {
  readonly running: boolean;
  readonly master?: boolean;
  readonly relayMaster?: boolean;
  readonly slave?: boolean;
  readonly binlogRelay?: boolean;
  readonly synced?: boolean;
  readonly stale?: boolean;
  readonly authError?: boolean;
  readonly maintenance?: boolean;
  readonly drain?: boolean;
}

/**
 * MaxScale's state string: fixed order, joined with ", ". Master, Slave and the other
 * role words need Running and no maintenance.
 */
export function serverStateString(bits: ServerStatusBits, connections: number): string {
  const words: string[] = [];
  if (bits.maintenance) words.push('Maintenance');
  else if (bits.drain) words.push(connections > 0 ? 'Draining' : 'Drained');
  const serving = bits.running && !bits.maintenance;
  if (serving) {
    if (bits.master) words.push('Master');
    else {
      if (bits.relayMaster) words.push('Relay Master');
      if (bits.slave) words.push('Slave');
      if (bits.binlogRelay) words.push('Binlog Relay');
    }
    if (bits.synced) words.push('Synced');
    if (bits.stale) words.push('Stale Status');
  }
  if (bits.authError) words.push('Auth Error');
  words.push(bits.running ? 'Running' : 'Down');
  return words.join(', ');
}
