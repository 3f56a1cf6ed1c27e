/**
 * The `.jobmesh.yml` pipeline manifest: parsing, validation and expansion into a plan. Pure (no
 * I/O, no gRPC): the orchestrator reads the file and calls {@link parsePipelineManifest}.
 *
 * ```yaml
 * version: 1                      # optional; only 1
 * jobs:                           # required, 1 to 256 jobs; ids are 1 to 64 of [A-Za-z0-9_-]
 *   build:
 *     runs_on: process            # required: a runner label, 1 to 128 of [A-Za-z0-9._-]
 *     matrix: { os: [a, b], node: [20, 22] }   # optional: 1 to 16 axes of 1 to 64 scalars
 *     needs: [lint]               # optional: other job ids (a matrix job: all its combinations)
 *     if: success()               # optional: success() (default), failure() or always()
 *     env: { NODE: "${{ matrix.node }}" }      # optional: names [A-Za-z_][A-Za-z0-9_]*, not JOBMESH_*
 *     secret_env: [NPM_TOKEN]     # optional: names the caller resolves from the submission
 *     artifacts: { paths: [out/**], when: on_success }   # when: on_success (default), on_failure, always
 *     timeout: 30m                # optional: 90s, 30m, 2h or seconds; 1 s to 7 days
 *     retry: 2                    # optional: 0 to 10 reruns after infrastructure failures
 *     concurrency: deploy-prod    # optional: jobs of one group never run at the same time
 *     steps:                      # required, 1 to 100
 *       - block: Deploy?          # waits for an approval; its name is its text unless `name` is set
 *       - name: compile           # optional; default `step N` (1-based)
 *         run: make
 * ```
 *
 * Block steps must come before every run step of their job: a job waits for its approvals before a
 * VM is booted for it, so no VM sits idle while people decide. A job needs at least one run step.
 *
 * `${{ matrix.<axis> }}` may stand in runs_on, env values and steps' run and name of a matrix job,
 * nowhere else. A matrix job becomes one planned job per combination (first axis slowest), named
 * `build (os=a, node=20)` with the key `build-a-20` (values with `[^A-Za-z0-9._-]` → `_`), and
 * each gets `JOBMESH_MATRIX_<AXIS>=<value>`. Numbers are kept as written: `3.10` stays `3.10`.
 * At most 256 combinations per job and 256 planned jobs per pipeline.
 *
 * Problems are all reported at once as `path: message (line N)`, e.g.
 * `jobs.build.steps[2].run: required (line 14)`; a missing key gets the line of the mapping that
 * lacks it (the line of its key, or of its `-` for a list item).
 */
export { parsePipelineManifest } from './parse-pipeline-manifest.ts';
export { manifestLimits } from './manifest-limits.ts';
export type { ManifestProblem, ManifestResult } from './manifest-problem.ts';
export type { JobPlan, PipelinePlan, StepPlan } from './pipeline-plan.ts';
