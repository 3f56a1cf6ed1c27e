import { vmBackendToJSON, vmStateToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Api } from '../create-api.ts';
import { formatStepStatus, formatTable, formatTime, formatWorkflowStatus, toJson } from '../format.ts';
import { flag, UsageError, type ParsedArgs } from '../parse-args.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const lower = (text: string, prefix: string) => text.replace(prefix, '').toLowerCase();

/** `jobmesh vms [--job ID] [--limit N]` */
export async function vms(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const page = await api.vms.listVms({ states: [], jobRequestId: flag(args, 'job') ?? '', pageSize: Number(flag(args, 'limit') ?? 20), pageToken: flag(args, 'page') ?? '' });
  if (json) return out(toJson(page)), 0;
  out(formatTable(['ID', 'STATE', 'BACKEND', 'JOB', 'HOST', 'LAST EVENT'], page.vms.map((vm) =>
    [vm.id, lower(vmStateToJSON(vm.state), 'VM_STATE_'), lower(vmBackendToJSON(vm.backend), 'VM_BACKEND_'), vm.jobRequestId || '-', vm.host || '-', formatTime(vm.lastEventAt)])));
  return 0;
}

/** `jobmesh ops ID`: the operation (workflow) behind a job, step by step. */
export async function ops(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const id = args.positionals[0];
  if (!id) throw new UsageError('ops needs a job or operation id');
  const { operation } = await api.operations.getOperation({ id });
  if (json) return out(toJson(operation)), 0;
  const op = operation!;
  out(`operation ${op.id} ${op.name}: ${formatWorkflowStatus(op.status)}${op.error ? ` (${op.error})` : ''}`);
  out(formatTable(['#', 'STEP', 'STATUS', 'ATTEMPTS', 'STARTED', 'TOOK'], op.steps.map((s) =>
    [String(s.stepNumber), s.name, formatStepStatus(s.status), String(s.attempts), formatTime(s.startedAt),
      s.startedAt && s.finishedAt ? `${s.finishedAt.getTime() - s.startedAt.getTime()} ms` : '-'])));
  return 0;
}
