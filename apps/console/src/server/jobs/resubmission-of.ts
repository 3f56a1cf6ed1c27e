import type { Job, SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { HttpError } from '../http/to-error-body.ts';

/** The value GetJob shows for a secret env variable. */
const maskedValue = '***';

/**
 * The SubmitJob request that runs `job` again as a new job (a new id): same repository,
 * commit, label, script, env, timeout and artifact rules. The public API has no RetryJob, and
 * secret env never comes back in the clear, so a job with a secret (a `***` value) cannot be
 * resubmitted from here.
 * A pipeline job is retried through its pipeline, never alone.
 * @throws HttpError 412 SECRET_ENV_NOT_READABLE naming the variables, 412 PIPELINE_JOB
 */
export function resubmissionOf(job: Job): SubmitJobRequest {
  if (job.pipelineId) {
    throw new HttpError(412, 'FAILED_PRECONDITION', 'PIPELINE_JOB', `this job runs for pipeline ${job.pipelineId}: retry it through its pipeline (jobmesh retry), not as a job of its own`);
  }
  const secret = Object.entries(job.env).filter(([, value]) => value === maskedValue).map(([key]) => key);
  if (secret.length) {
    throw new HttpError(412, 'FAILED_PRECONDITION', 'SECRET_ENV_NOT_READABLE', `this job has secret env (${secret.join(', ')}) that the API never shows again: submit it anew with the CLI (--secret-env)`, 'env');
  }
  return {
    repoUrl: job.repoUrl, commitSha: job.commitSha, runsOn: job.runsOn, script: job.script, env: job.env, secretEnv: {},
    timeoutMs: job.timeoutMs, artifactPatterns: job.artifactPatterns, artifactWhen: job.artifactWhen, requestId: '',
  };
}
