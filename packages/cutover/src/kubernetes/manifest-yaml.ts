import { stringify } from 'yaml';
import type { Manifest } from './render-context.ts';

/** Manifests as one multi-document YAML stream, in order, as kubectl apply -f reads it. */
export function manifestsToYaml(manifests: readonly Manifest[]): string {
  return manifests.map((manifest) => `---\n${stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}
