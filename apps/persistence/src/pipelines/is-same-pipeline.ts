import type { PipelineJobRow, PipelineRow } from './pipeline-row.ts';
import type { NewPipeline, NewPlannedJob } from './validate-create-pipeline.ts';

type Plan = Omit<NewPlannedJob, 'position'>;

/** A planned job as comparable text: fixed field order, matrix sorted by axis. */
const canonical = (job: Plan) => JSON.stringify([
  job.key, job.manifestId, job.name, Object.entries(job.matrix).sort(([a], [b]) => (a < b ? -1 : 1)), job.runsOn, job.needs,
  job.condition, job.concurrency, job.steps.map((s) => [s.index, s.name, s.kind, s.prompt]),
]);

const planOf = (row: PipelineJobRow): Plan => ({
  key: row.key, manifestId: row.manifest_id, name: row.name, matrix: row.matrix, runsOn: row.runs_on, needs: row.needs,
  condition: row.condition, concurrency: row.concurrency, steps: row.steps,
});

/**
 * True when a stored pipeline is the one CreatePipeline asks for: same source, manifest and planned
 * jobs in the same order. The links (workflow and trace ids) are not compared, as CreateJob's are not.
 */
export function isSamePipeline(stored: PipelineRow, jobs: readonly PipelineJobRow[], asked: NewPipeline): boolean {
  return stored.repo_url === asked.repoUrl && stored.commit_sha === asked.commitSha && stored.manifest_path === asked.manifestPath &&
    stored.manifest_sha256 === asked.manifestSha256 && jobs.length === asked.jobs.length &&
    jobs.every((row, i) => canonical(planOf(row)) === canonical(asked.jobs[i]!));
}
