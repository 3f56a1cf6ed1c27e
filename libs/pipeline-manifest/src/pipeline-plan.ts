/** One step of a planned job: a shell script to run, or an approval to wait for. */
export type StepPlan = { kind: 'run'; name: string; run: string } | { kind: 'block'; name: string; prompt: string };

/** One job to run: a plain job, or one combination of a matrix job. */
export interface JobPlan {
  /** Unique in the plan: the job id, plus `-<value>` per matrix axis (sanitized to `[A-Za-z0-9._-]`). */
  key: string;
  /** The job id in the manifest (shared by all combinations of a matrix job). */
  id: string;
  /** For people: the id, plus `(axis=value, …)` for a matrix combination. */
  name: string;
  /** This combination's value per axis, in axis order; `{}` for a plain job. */
  matrix: Record<string, string>;
  /** The runner label, matrix values interpolated. */
  runsOn: string;
  /** Keys of the planned jobs that must finish first, sorted, without duplicates. */
  needs: string[];
  /** When the job runs, given how its needs ended. @default 'success' */
  if: 'success' | 'failure' | 'always';
  /** In manifest order; block steps always come first. */
  steps: StepPlan[];
  /** Variables given to the steps: the manifest's `env` (interpolated) plus `JOBMESH_MATRIX_<AXIS>`. */
  env: Record<string, string>;
  /** Names of variables the caller resolves from the submission's secrets. */
  secretEnv: string[];
  /** What to collect once the job ends; `paths` is empty when nothing is. */
  artifacts: { paths: string[]; when: 'on_success' | 'on_failure' | 'always' };
  /** Null when the manifest sets none (the caller's default applies). */
  timeoutMs: number | null;
  /** Reruns after infrastructure failures. @default 0 */
  retry: number;
  /** Jobs sharing a group never run at the same time; null for none. */
  concurrency: string | null;
}

/** Every job of a pipeline, each after all of its needs (ties: manifest order, then matrix order). */
export interface PipelinePlan {
  jobs: JobPlan[];
}
