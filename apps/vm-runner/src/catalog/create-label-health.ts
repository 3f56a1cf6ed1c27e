import type { Backend } from '../backends/backend.ts';
import type { LabelSpec } from './catalog-schema.ts';

/** How long one availability check of a label is trusted, in ms. */
const freshMs = 5000;

/**
 * Whether each label can run jobs on this host, and why not: the backend's own check (tools
 * installed, image present and verified), cached briefly so Capacity and Prepare stay cheap,
 * and re-checked after that, so installing the missing package heals a label without a restart.
 */
export function createLabelHealth(
  backends: Partial<Record<'process' | 'qemu', Backend>>,
  backendProblems: Partial<Record<'process' | 'qemu', string>> = {},
  /** A policy's refusal of a label ('' = none), checked before its backend (e.g. host jobs off). */
  policyProblem: (label: LabelSpec) => string = () => '',
) {
  const checked = new Map<string, { at: number; reason: Promise<string> }>();
  const check = (label: LabelSpec): Promise<string> => {
    const refusal = policyProblem(label);
    if (refusal) return Promise.resolve(refusal);
    const backend = backends[label.backend];
    if (!backend) return Promise.resolve(backendProblems[label.backend] ?? `the ${label.backend} backend is not available on this host`);
    return backend.unavailableReason?.(label).catch((error: unknown) => `checking the label failed: ${error instanceof Error ? error.message : String(error)}`) ?? Promise.resolve('');
  };
  return {
    /** '' when the label can run here; else the reason, naming the fix. */
    reasonOf(label: LabelSpec): Promise<string> {
      const cached = checked.get(label.name);
      if (cached && Date.now() - cached.at < freshMs) return cached.reason;
      const reason = check(label);
      checked.set(label.name, { at: Date.now(), reason });
      return reason;
    },
  };
}

/** The label health. */
export type LabelHealth = ReturnType<typeof createLabelHealth>;
