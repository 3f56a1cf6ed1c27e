import { parseAllDocuments } from 'yaml';
import { runCommand } from './run-command.ts';

/** A rendered Kubernetes object, loosely typed: the checks read what they need. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; [key: string]: unknown }; [key: string]: unknown };

/**
 * Renders a kustomize folder with `kubectl kustomize` (offline) and parses every object.
 * @throws Error when kubectl fails or a document is not an object with apiVersion, kind and name
 */
export async function renderOverlay(dir: string): Promise<KubeObject[]> {
  const { stdout } = await runCommand('kubectl', ['kustomize', dir], { timeoutMs: 60_000 });
  return parseAllDocuments(stdout).map((document, index) => {
    const object = document.toJS() as KubeObject | null;
    if (!object?.apiVersion || !object.kind || !object.metadata?.name) throw new Error(`${dir}: document ${index} has no apiVersion, kind or metadata.name`);
    return object;
  });
}
