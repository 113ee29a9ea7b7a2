import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManifestFeature {
  name: string;
  type: 'numeric' | 'categorical';
  categories?: string[];
}

/** The demo model's manifest, wherever the model store keeps it. */
export function demoManifest(storeDir: string): { features: ManifestFeature[] } {
  const path = readdirSync(storeDir, { recursive: true, encoding: 'utf8' }).find((file) => file.endsWith('manifest.json'));
  if (path === undefined) throw new Error(`no manifest.json under ${storeDir}`);
  return JSON.parse(readFileSync(join(storeDir, path), 'utf8')) as { features: ManifestFeature[] };
}

/** A valid feature vector for the demo model: 1 for numeric features, the first category otherwise. */
export function demoFeatures(storeDir: string): Record<string, number | string> {
  return Object.fromEntries(demoManifest(storeDir).features.map((feature) => [feature.name, feature.type === 'numeric' ? 1 : feature.categories![0]!]));
}
