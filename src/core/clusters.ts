/**
 * A registered cluster as stored in settings (`pgUpgradePilot.clusters`) or a CLI/lab file.
 * Never holds a password: that lives in SecretStorage (keyed by `id`) or the user's .pgpass.
 */
export interface ClusterDefinition {
  id: string; // stable, generated once; SecretStorage key suffix
  name: string; // display name, unique among clusters
  /** libpq connection string without password (URI or keyword/value; multi-host allowed). */
  connection: string;
  /**
   * Optional conninfo the TARGET server uses to reach this cluster when it is the source of a
   * subscription (it can differ from ours, e.g. an internal hostname). No password inside.
   */
  subscriberConnection?: string;
  production?: boolean; // demands typed confirmation for disruptive/destructive steps
  group?: string;
  /** Host-step executor for issue 5: "manual" (default) or "local" (lab clusters). */
  executor?: 'manual' | 'local';
  /** For lab clusters: data directory and binary directory (local executor). */
  lab?: { dataDir: string; binDir: string; osUser: string; version: string };
}
