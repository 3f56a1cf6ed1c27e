import type { PipelinePlan } from './pipeline-plan.ts';

/** One thing wrong with a manifest. */
export interface ManifestProblem {
  /** Dotted path of the offending value, e.g. `jobs.build.steps[2].run`; `(root)` or `(yaml)` for the file as a whole. */
  path: string;
  /** 1-based line: the offending key or item; for a missing key, the line of the mapping that lacks it. */
  line: number;
  message: string;
  /** `path: message (line N)`, ready to show. */
  text: string;
}

/** A plan, or every problem found (never only the first). */
export type ManifestResult = { ok: true; plan: PipelinePlan } | { ok: false; problems: ManifestProblem[] };

/** A problem with its display text. */
export function manifestProblem(path: string, line: number, message: string): ManifestProblem {
  return { path, line, message, text: `${path}: ${message} (line ${line})` };
}
