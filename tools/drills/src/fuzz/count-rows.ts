import type { TestMesh } from '@jobmesh/orchestrator/testing';

/** Jobs and workflows persistence holds (through its List calls, at most 100 pages of 500). */
export async function countRows(mesh: TestMesh): Promise<{ jobs: number; workflows: number }> {
  let jobs = 0;
  let workflows = 0;
  for (let token = '', page = 0; page < 100; page++) {
    const r = await mesh.store.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: token });
    jobs += r.jobs.length;
    if (!(token = r.nextPageToken)) break;
  }
  for (let token = '', page = 0; page < 100; page++) {
    const r = await mesh.store.workflows.listWorkflows({ statuses: [], name: '', parentId: '', pageSize: 500, pageToken: token });
    workflows += r.workflows.length;
    if (!(token = r.nextPageToken)) break;
  }
  return { jobs, workflows };
}
