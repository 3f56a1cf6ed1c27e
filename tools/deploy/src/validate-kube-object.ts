import type { KubeObject } from './render-overlay.ts';

/** Kinds outside Kubernetes itself whose schema is not in kubernetes-models: checked by hand. */
const customResourceChecks: Record<string, (spec: Record<string, any>) => string[]> = {
  // CloudNativePG's Cluster: the fields its CRD requires or the overlay relies on.
  'postgresql.cnpg.io/v1 Cluster': (spec) => [
    ...(Number.isInteger(spec?.instances) && spec.instances >= 1 ? [] : ['spec.instances must be an integer >= 1']),
    ...(typeof spec?.storage?.size === 'string' && /^\d+(Ki|Mi|Gi|Ti)$/.test(spec.storage.size) ? [] : ['spec.storage.size must be a quantity like 20Gi']),
    ...(spec?.bootstrap?.initdb?.database && spec.bootstrap.initdb.owner ? [] : ['spec.bootstrap.initdb needs database and owner']),
  ],
};

/**
 * Validates an object against the schema of its apiVersion and kind: Kubernetes' own kinds with
 * the JSON schemas of npm `kubernetes-models` (types, required fields, formats; unknown fields
 * are not reported by those schemas), known custom resources by hand (apiVersion, kind, name and
 * the required spec fields), anything else is refused as unknown.
 * @returns the problems found (empty when valid)
 */
export async function validateKubeObject(object: KubeObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata.name}`;
  const custom = customResourceChecks[`${object.apiVersion} ${object.kind}`];
  if (custom) {
    const problems = custom(object.spec as Record<string, any>);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(object.metadata.name)) problems.push('metadata.name must be a DNS label');
    return problems.map((problem) => `${where}: ${problem}`);
  }
  // kubernetes-models lays its classes out as <group>/<version>/<Kind>, the core group as v1/<Kind>.
  const module = `kubernetes-models/${object.apiVersion}/${object.kind}`;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (await import(module))[object.kind];
  } catch {
    return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  }
  // kustomize folds long base64 values of Secret data over lines; Kubernetes' decoder (Go's
  // base64) skips the newlines, the schema's "byte" format does not: compare as the API server reads.
  const data = object.kind === 'Secret' && object.data ? { data: Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, '')])) } : {};
  try {
    new Model({ ...object, ...data }).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}
