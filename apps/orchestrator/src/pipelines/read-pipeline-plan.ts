import { createHash } from 'node:crypto';
import { parsePipelineManifest } from '@jobmesh/pipeline-manifest';
import { invalidArgument, isMeshError, MeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import type { createLabelCatalog } from '../jobs/create-label-catalog.ts';
import { toPipelineJobSpec, type PipelineJobSpec } from './pipeline-job-spec.ts';

/** The default manifest path. */
export const defaultManifestPath = '.jobmesh.yml';

/** What SubmitPipeline runs: the plan and the manifest's digest. */
export interface ReadPlan {
  jobs: PipelineJobSpec[];
  manifestSha256: string;
}

/**
 * Reads the manifest at the commit through fsops and turns it into the jobs to run, checking
 * everything that can be checked before anything starts: the manifest (every problem with its path
 * and line), the labels (each job's runs_on), and the secret names the jobs ask for.
 * @throws INVALID_ARGUMENT MANIFEST_INVALID (field manifest) listing every problem; NOT_FOUND
 *   MANIFEST_NOT_FOUND (field manifest_path); fsops' errors for the repository and commit
 */
export async function readPipelinePlan(clients: MeshClients, labels: ReturnType<typeof createLabelCatalog>, request: {
  repoUrl: string; commitSha: string; manifestPath: string; env: Record<string, string>; secretEnv: Record<string, string>; defaultTimeoutMs: number;
}): Promise<ReadPlan> {
  const content = await clients.fsops.readRepositoryFile({ repoUrl: request.repoUrl, commitSha: request.commitSha, path: request.manifestPath, maxBytes: 1024 * 1024 }).then((r) => r.content, (error: unknown) => {
    if (isMeshError(error, status.NOT_FOUND, 'FILE_NOT_FOUND')) {
      throw new MeshError(status.NOT_FOUND, 'MANIFEST_NOT_FOUND', `manifest_path: ${request.manifestPath} is not a file at commit ${request.commitSha}: ${error.message}`, { field: 'manifest_path' });
    }
    if (isMeshError(error, status.FAILED_PRECONDITION, 'FILE_TOO_LARGE')) throw invalidArgument('manifest', `${request.manifestPath} is larger than 1 MiB`, { reason: 'MANIFEST_INVALID' });
    throw error;
  });
  const parsed = parsePipelineManifest(Buffer.from(content).toString('utf8'));
  const problems = parsed.ok ? [] : parsed.problems.map((p) => p.text);
  const jobs = parsed.ok ? parsed.plan.jobs.map((job) => toPipelineJobSpec(job, request.env, request.defaultTimeoutMs)) : [];
  for (const job of jobs) {
    await labels.requireKnown(job.runsOn).catch((error: unknown) => {
      if (!isMeshError(error)) throw error;
      if (error.code !== status.INVALID_ARGUMENT && error.code !== status.FAILED_PRECONDITION) throw error;
      problems.push(`jobs.${job.manifestId}.runs_on: ${error.message.replace(/^runs_on: /, '')}`);
    });
    const missing = job.secretEnv.filter((name) => !(name in request.secretEnv));
    if (missing.length) problems.push(`jobs.${job.manifestId}.secret_env: ${missing.join(', ')} not given in the submission's secret_env`);
    const both = Object.keys(job.env).filter((name) => job.secretEnv.includes(name));
    if (both.length) problems.push(`jobs.${job.manifestId}.secret_env: ${both.join(', ')} also in env (the submission's env or the job's); a variable is either plain or secret`);
  }
  const unique = [...new Set(problems)];
  if (unique.length) {
    throw invalidArgument('manifest', `${request.manifestPath} at ${request.commitSha.slice(0, 12)} has ${unique.length} problem(s):\n${unique.join('\n')}`, { reason: 'MANIFEST_INVALID' });
  }
  return { jobs, manifestSha256: createHash('sha256').update(content).digest('hex') };
}
