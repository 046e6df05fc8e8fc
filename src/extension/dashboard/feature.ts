import type { ExtensionServices } from '../services';

/** Upgrade Dashboard / Replication webview, its serializer, and Export Upgrade Record. */
export function registerDashboardFeature(_services: ExtensionServices): void {
  // filled in by the dashboard feature
}
