/** natroni's version: what each member reports as `patroni.version` and natronictl as its own. */
export const NATRONI_VERSION = '0.1.0';
