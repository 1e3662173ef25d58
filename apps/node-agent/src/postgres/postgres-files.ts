import { existsSync } from 'node:fs';
import { chown, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParameterValue } from '../../../../libs/member-config/src/index.ts';
import type { OsUser } from './os-user.ts';
import { formatParameterValue } from './postgres-settings.ts';

const BASE_CONF = 'postgresql.base.conf';
const MANAGED_CONF = 'postgresql.conf';
const HBA_CONF = 'pg_hba.conf';
const STANDBY_SIGNAL = 'standby.signal';
const RECOVERY_SIGNAL = 'recovery.signal';
/** PostgreSQL's default promote trigger: a restored copy must not promote itself by it. */
const PROMOTE_SIGNAL = 'promote';

/**
 * The files natroni owns in a data directory. As Patroni does, it keeps initdb's postgresql.conf as
 * postgresql.base.conf and writes postgresql.conf itself: an include of the base, then its parameters.
 */
export class PostgresFiles {
  constructor(
    readonly dataDir: string,
    private readonly osUser: OsUser,
  ) {}

  /** Moves initdb's (or the cloned member's) postgresql.conf aside, once. */
  async keepBaseConfig(): Promise<void> {
    const base = join(this.dataDir, BASE_CONF);
    const managed = join(this.dataDir, MANAGED_CONF);
    if (!existsSync(base) && existsSync(managed)) await rename(managed, base);
    if (!existsSync(base)) await this.write(BASE_CONF, '');
  }

  async writeConfig(parameters: ReadonlyMap<string, ParameterValue>): Promise<void> {
    const lines = [
      '# Written by natroni: changes here are overwritten. Put local settings in the member configuration.',
      `include '${BASE_CONF}'`,
      ...[...parameters].map(([name, value]) => `${name} = ${formatParameterValue(value)}`),
    ];
    await this.write(MANAGED_CONF, `${lines.join('\n')}\n`);
  }

  async readConfig(): Promise<string> {
    return readFile(join(this.dataDir, MANAGED_CONF), 'utf8').catch(() => '');
  }

  async writeHba(lines: readonly string[]): Promise<void> {
    await this.write(HBA_CONF, `# Written by natroni.\n${lines.join('\n')}\n`);
  }

  async setStandby(standby: boolean): Promise<void> {
    if (standby) await this.write(STANDBY_SIGNAL, '');
    else await rm(join(this.dataDir, STANDBY_SIGNAL), { force: true });
  }

  /** recovery.signal: a targeted (archive) recovery, after which PostgreSQL runs as a primary. */
  async setRecoverySignal(recovery: boolean): Promise<void> {
    if (recovery) await this.write(RECOVERY_SIGNAL, '');
    else await rm(join(this.dataDir, RECOVERY_SIGNAL), { force: true });
  }

  async removePromoteSignal(): Promise<void> {
    await rm(join(this.dataDir, PROMOTE_SIGNAL), { force: true });
  }

  isStandby(): boolean {
    return existsSync(join(this.dataDir, STANDBY_SIGNAL));
  }

  /** True when the data directory holds a PostgreSQL cluster. */
  isInitialized(): boolean {
    return existsSync(join(this.dataDir, 'PG_VERSION'));
  }

  private async write(name: string, content: string): Promise<void> {
    const path = join(this.dataDir, name);
    await writeFile(path, content, { mode: 0o600 });
    await chown(path, this.osUser.uid, this.osUser.gid);
  }
}
