import { isLoopbackAddress } from '@jobmesh/config';
import type { LabelSpec } from './catalog-schema.ts';

/** What decides whether process labels (host jobs, no isolation) may run here. */
export interface HostJobsPolicy {
  /** Address vm-runner listens on. */
  address: string;
  /** JOBMESH_ALLOW_HOST_JOBS: `1` always, `0` never, unset: only on a loopback address or for a label with `allowHostJobs`. */
  allowHostJobs?: '0' | '1';
}

/**
 * Why `label` may not run here as host processes, or '' when it may (or is not a process
 * label). A process job runs as this service's user on this host: anyone who can reach
 * the API that submits jobs can run commands here. So unless allowed explicitly, process
 * labels run only while vm-runner listens on loopback (`npm start`, the tests), never when
 * other machines can reach it (docker-compose, a deployment).
 */
export function hostJobsRefusal(policy: HostJobsPolicy, label: LabelSpec): string {
  if (label.backend !== 'process') return '';
  if (policy.allowHostJobs === '0') return 'host jobs (process backend, no isolation) are off: JOBMESH_ALLOW_HOST_JOBS=0';
  if (policy.allowHostJobs === '1' || label.allowHostJobs || isLoopbackAddress(policy.address)) return '';
  return `host jobs (process backend, no isolation) are off: this vm-runner listens on ${policy.address}, which other machines can reach; ` +
    'set JOBMESH_ALLOW_HOST_JOBS=1 or "allowHostJobs": true on the label to allow them';
}
