import { invalidArgument } from '@jobmesh/grpc-kit';
import type { CatalogFile, LabelSpec } from './catalog-schema.ts';

/** The labels a host can run, looked up by name or alias. */
export interface Catalog {
  /** Labels in file order. */
  readonly labels: readonly LabelSpec[];
  /** The label a name or alias means, or undefined. */
  find(name: string): LabelSpec | undefined;
  /**
   * The label a name or alias means.
   * @throws INVALID_ARGUMENT (reason UNKNOWN_LABEL) naming the label and listing the known ones
   */
  resolve(name: string, field?: string): LabelSpec;
}

/**
 * Indexes a parsed catalog file by name and alias.
 * @throws Error when two labels share a name or alias
 */
export function createCatalog(file: CatalogFile): Catalog {
  const byName = new Map<string, LabelSpec>();
  for (const label of file.labels) {
    for (const name of [label.name, ...label.aliases]) {
      if (byName.has(name)) throw new Error(`catalog: "${name}" names two labels`);
      byName.set(name, label);
    }
  }
  const known = [...byName.keys()].sort().join(', ');
  return {
    labels: file.labels,
    find: (name) => byName.get(name),
    resolve(name, field = 'runs_on') {
      const label = byName.get(name);
      if (label) return label;
      throw invalidArgument(field, `unknown label "${name}"; this host knows: ${known}`, { reason: 'UNKNOWN_LABEL' });
    },
  };
}
