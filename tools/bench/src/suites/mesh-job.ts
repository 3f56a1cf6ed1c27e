import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { TestMesh } from '@jobmesh/orchestrator/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.ts';

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);

/**
 * Submits one no-op job through the public API and waits for its end through WatchJob (pushed
 * by persistence's LISTEN/NOTIFY: no polling interval adds to the figure or loads the mesh).
 * @throws Error unless it succeeded
 */
export async function runMeshJob(mesh: TestMesh, repo: { url: string; commit: string }): Promise<void> {
  // fromPartial: fields added to the contract later get their defaults.
  const { job } = await mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'true', timeoutMs: 120_000 }));
  const requestId = job!.requestId;
  let state = job!.state;
  if (!terminal.has(state)) {
    // From the job's first event: a change that landed before the watch began is sent too.
    for await (const message of mesh.api.jobs.watchJob({ requestId, afterSequence: 1 }, { deadlineMs: 120_000 })) {
      if (message.change) state = message.change.toState;
      if (terminal.has(state)) break;
    }
  }
  if (!terminal.has(state)) state = (await mesh.api.jobs.getJob({ requestId })).job!.state;
  if (state !== JobState.JOB_STATE_SUCCEEDED) {
    const { job: ended } = await mesh.api.jobs.getJob({ requestId });
    throw new Error(`job ${requestId} ended in state ${ended!.state}: ${ended!.error}`);
  }
}

/** The same work without the mesh: clone the commit into a fresh directory, run `true`, remove it. */
export async function runDirectJob(scratch: string, repo: { url: string; commit: string }): Promise<void> {
  const dir = await mkdtemp(join(scratch, 'direct-'));
  await runCommand('git', ['clone', '--quiet', '--no-checkout', repo.url, dir]);
  await runCommand('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', repo.commit], { cwd: dir });
  await runCommand('sh', ['-c', 'true'], { cwd: dir });
  await rm(dir, { recursive: true, force: true });
}
