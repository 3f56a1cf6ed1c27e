import { jobStateToJSON, VmState, vmStateToJSON, workflowStatusToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { TestMesh } from '@jobmesh/orchestrator/testing';

/**
 * Lines describing jobs that did not end in time, for the log dump of a stalled run: each job's
 * state, its workflow's status, claims, lease and last recorded steps; then every VM persistence
 * knows that is not destroyed, with its job (a VM of an ended job holds a slot nobody frees).
 */
export async function describeOpenJobs(mesh: TestMesh, requestIds: string[]): Promise<string[]> {
  const lines = [`${new Date().toISOString()} ${requestIds.length} jobs not terminal`];
  for (const requestId of requestIds) {
    try {
      const { job } = await mesh.store.jobs.getJob({ requestId }, { deadlineMs: 5000 });
      const { workflow, steps } = await mesh.store.workflows.getWorkflow({ id: job?.workflowId || requestId }, { deadlineMs: 5000 });
      const last = steps.slice(-3).map((s) => `${s.stepNumber}:${s.name}(${s.attempts})`).join(' ');
      lines.push(`job ${requestId} ${job ? jobStateToJSON(job.state) : '?'} workflow ${workflow ? workflowStatusToJSON(workflow.status) : '?'}`
        + ` claims=${workflow?.claimCount} owner=${workflow?.leaseOwner} leaseUntil=${workflow?.leaseExpiresAt?.toISOString()}`
        + ` cancel=${workflow?.cancelRequested} steps=${steps.length} last=[${last}]`);
    } catch (error) {
      lines.push(`job ${requestId}: cannot read (${String(error).slice(0, 200)})`);
    }
  }
  try {
    const live = [VmState.VM_STATE_PREPARING, VmState.VM_STATE_PREPARED, VmState.VM_STATE_STARTING, VmState.VM_STATE_READY, VmState.VM_STATE_EXECUTING, VmState.VM_STATE_STOPPING, VmState.VM_STATE_STOPPED, VmState.VM_STATE_FAILED];
    const { vms } = await mesh.store.vms.listVms({ states: live, jobRequestId: '', host: '', pageSize: 500, pageToken: '' }, { deadlineMs: 5000 });
    lines.push(`${vms.length} VMs not destroyed (each holds a slot):`);
    for (const vm of vms) {
      const { job } = await mesh.store.jobs.getJob({ requestId: vm.jobRequestId }, { deadlineMs: 5000 }).catch(() => ({ job: undefined }));
      lines.push(`vm ${vm.requestId} ${vmStateToJSON(vm.state)} job ${vm.jobRequestId} ${job ? jobStateToJSON(job.state) : '?'}`);
    }
  } catch (error) {
    lines.push(`VMs: cannot read (${String(error).slice(0, 200)})`);
  }
  return lines;
}
