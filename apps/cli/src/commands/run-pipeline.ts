import type { Pipeline } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Api } from '../create-api.ts';
import { formatTable } from '../format.ts';
import { flag, InputError, type ParsedArgs } from '../parse-args.ts';
import { readGitHead } from '../read-git-head.ts';
import { jobLabel } from './describe-pipeline.ts';
import { envFlags } from './env-flags.ts';
import { reportStartedPipeline } from './follow-pipeline.ts';

const err = (text: string) => process.stderr.write(text + '\n');
/** Changed paths shown when a dirty tree is refused; `git status` shows the rest. */
const shownChanges = 20;

/** The pipeline's id and planned jobs, as `run` prints them. */
const describePlan = (pipeline: Pipeline) =>
  `pipeline ${pipeline.id}  ${pipeline.manifestPath} at ${pipeline.commitSha.slice(0, 12)} of ${pipeline.repoUrl}\n` +
  formatTable(['JOB', 'RUNS ON', 'NEEDS'], pipeline.jobs.map((job) => [jobLabel(job), job.runsOn, job.needs.join(', ') || '-']));

/** What the server says of the manifest, as input the user fixes (exit 2), not a failure of the mesh. */
function manifestRefusal(error: unknown): unknown {
  if (isMeshError(error, status.INVALID_ARGUMENT) && (error.field === 'manifest' || error.field === 'manifest_path')) return new InputError(error.message);
  if (isMeshError(error, status.NOT_FOUND, 'MANIFEST_NOT_FOUND')) return new InputError(`${error.message}\n(--file names the manifest, relative to the repository's root; it must be committed)`);
  return error;
}

/**
 * `jobmesh run [--file PATH] [--follow] [--allow-dirty] [--env K=V]... [--secret-env K]...`: runs the
 * manifest of the git repository around the current directory at HEAD (`file://<root>`).
 * @returns 0 once submitted (with --follow: 0 when the pipeline succeeded, 1 when it failed or was cancelled)
 * @throws InputError for a dirty tree without --allow-dirty, or a manifest the server refused (every problem listed)
 */
export async function run(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const { env, secretEnv } = envFlags(args);
  const head = await readGitHead(process.cwd());
  if (head.changes.length > 0) {
    const listed = head.changes.slice(0, shownChanges).map((line) => `  ${line}`).join('\n') + (head.changes.length > shownChanges ? `\n  … ${head.changes.length - shownChanges} more` : '');
    if (!args.flags.has('allow-dirty')) {
      throw new InputError(`the working tree of ${head.root} differs from HEAD (git status --porcelain):\n${listed}\n` +
        `jobmesh run runs a commit, not the files on disk: commit the changes, or give --allow-dirty to run HEAD (${head.commit.slice(0, 12)}) without them`);
    }
    err(`jobmesh: warning: --allow-dirty: running HEAD ${head.commit.slice(0, 12)} without the ${head.changes.length} uncommitted change(s) of the working tree`);
  }
  const { pipeline } = await api.pipelines.submitPipeline({
    repoUrl: `file://${head.root}`, commitSha: head.commit, manifestPath: flag(args, 'file') ?? '', env, secretEnv, requestId: '',
  }).catch((error: unknown) => {
    throw manifestRefusal(error);
  });
  return reportStartedPipeline(api, pipeline!, describePlan(pipeline!), { follow: args.flags.has('follow') || args.flags.has('f'), json });
}
