import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobState, jobStateToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { TestMesh } from '@jobmesh/orchestrator/testing';
import { countLeftovers, type Leftovers } from '../count-leftovers.ts';
import type { ChaosJob } from './chaos-job-mix.ts';

/** What the checks counted, and every broken expectation. */
export interface ChaosOutcome {
  byState: Record<string, number>;
  ranTwice: number;
  vmsPrepared: number;
  leftovers: Leftovers;
  logGapsOrDuplicates: number;
  problems: string[];
}

const stateName = (state: JobState) => jobStateToJSON(state).replace('JOB_STATE_', '').toLowerCase();

/**
 * Checks the mesh after the chaos: each job terminal as its script says, run as often as
 * allowed (marker lines), at most one VM per job (exactly one when it ran), nothing left
 * behind, and every job log without gaps or duplicates (seq 0..n-1).
 */
export async function checkChaosOutcome(mesh: TestMesh, jobs: ChaosJob[]): Promise<ChaosOutcome> {
  const outcome: ChaosOutcome = { byState: {}, ranTwice: 0, vmsPrepared: 0, leftovers: { processes: 0, vmDirs: 0, workspaces: 0, stagingFiles: 0 }, logGapsOrDuplicates: 0, problems: [] };
  for (const job of jobs) {
    const { job: stored } = await mesh.store.jobs.getJob({ requestId: job.requestId });
    const state = stored!.state;
    outcome.byState[stateName(state)] = (outcome.byState[stateName(state)] ?? 0) + 1;
    if (state !== job.expectedState) outcome.problems.push(`job ${job.index} (${job.kind}) ended ${stateName(state)}: ${stored!.error}`);
    if (job.kind === 'fail' && state === job.expectedState && stored!.exitCode !== 3) outcome.problems.push(`job ${job.index} failed with ${stored!.exitCode}, not 3`);
    const runs = existsSync(job.marker) ? (await readFile(job.marker, 'utf8')).trim().split('\n').length : 0;
    if (runs > 1) outcome.ranTwice++;
    if (runs < job.runs.min || runs > job.runs.max) outcome.problems.push(`job ${job.index} (${job.kind}) ran ${runs} times`);
    const { vms } = await mesh.store.vms.listVms({ states: [], jobRequestId: job.requestId, host: '', pageSize: 100, pageToken: '' });
    outcome.vmsPrepared += vms.length;
    if (vms.length > 1 || (runs > 0 && vms.length !== 1)) outcome.problems.push(`job ${job.index} had ${vms.length} VMs`);
    const seqs: number[] = [];
    for (let from = 0, i = 0; i < 1000; i++) {
      const page = await mesh.store.logs.readLog({ requestId: job.requestId, fromSeq: from, maxChunks: 1000, maxBytes: 0 });
      seqs.push(...page.chunks.map((c) => Number(c.seq)));
      if (page.chunks.length === 0) break;
      from = Number(page.nextSeq);
    }
    if (seqs.some((seq, i) => seq !== i)) {
      outcome.logGapsOrDuplicates++;
      outcome.problems.push(`job ${job.index} log seqs ${seqs.join(',').slice(0, 200)}`);
    }
  }
  outcome.leftovers = await countLeftovers(mesh.dataDir);
  for (const [what, count] of Object.entries(outcome.leftovers)) if (count > 0) outcome.problems.push(`${count} ${what} left behind`);
  // A workspace is named by its job's request id: say whose it is and how that job ended.
  const workspacesDir = join(mesh.dataDir, 'workspaces');
  for (const name of existsSync(workspacesDir) ? await readdir(workspacesDir) : []) {
    const { job: stored } = await mesh.store.jobs.getJob({ requestId: name }).catch(() => ({ job: undefined }));
    const index = jobs.find((j) => j.requestId === name)?.index;
    outcome.problems.push(`workspace ${name} left (job ${index ?? '?'}: ${stored ? `${stateName(stored.state)}, error "${stored.error}"` : 'no such job'})`);
  }
  return outcome;
}
