/** What differs between the services before any of their own configuration is read. */
export interface ServiceDefaults {
  readonly httpPort: number;
  /** The services that act for one PostgreSQL member cannot start without its name. */
  readonly memberRequired: boolean;
}

export const SERVICE_DEFAULTS = {
  'api-gateway': { httpPort: 8008, memberRequired: false },
  metrics: { httpPort: 9547, memberRequired: false },
  'node-agent': { httpPort: 8010, memberRequired: true },
  election: { httpPort: 8011, memberRequired: true },
  'router-updater': { httpPort: 8012, memberRequired: false },
} as const satisfies Record<string, ServiceDefaults>;

export type ServiceName = keyof typeof SERVICE_DEFAULTS;

export const SERVICE_NAMES = Object.keys(SERVICE_DEFAULTS) as readonly ServiceName[];
