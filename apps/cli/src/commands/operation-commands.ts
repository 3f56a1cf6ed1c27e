import { vmBackendToJSON, vmStateToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Api } from '../create-api.ts';
import { formatStepStatus, formatTable, formatTime, formatWorkflowStatus, toJson } from '../format.ts';
import { flag, UsageError, type ParsedArgs } from '../parse-args.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const lower = (text: string, prefix: string) => text.replace(prefix, '').toLowerCase();

/** `jobmesh vms [--job ID] [--limit N]`, or `jobmesh vms --console VM_ID [--bytes N]` */
export async function vms(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const consoleOf = flag(args, 'console');
  if (consoleOf !== undefined) {
    const console = await api.vms.getVmConsole({ vmId: consoleOf, maxBytes: Number(flag(args, 'bytes') ?? 0) });
    if (json) return out(toJson(console)), 0;
    if (console.truncated) out(`(older console output of vm ${console.vmId} not shown)`);
    process.stdout.write(console.text.endsWith('\n') || !console.text ? console.text : `${console.text}\n`);
    return 0;
  }
  const page = await api.vms.listVms({ states: [], jobRequestId: flag(args, 'job') ?? '', pageSize: Number(flag(args, 'limit') ?? 20), pageToken: flag(args, 'page') ?? '' });
  if (json) return out(toJson(page)), 0;
  out(formatTable(['ID', 'STATE', 'BACKEND', 'JOB', 'HOST', 'LAST EVENT'], page.vms.map((vm) =>
    [vm.id, lower(vmStateToJSON(vm.state), 'VM_STATE_'), lower(vmBackendToJSON(vm.backend), 'VM_BACKEND_'), vm.jobRequestId || '-', vm.host || '-', formatTime(vm.lastEventAt)])));
  return 0;
}

/** `jobmesh labels`: each vm-runner's labels, whether they can run, and their accelerator. */
export async function labels(api: Api, _args: ParsedArgs, json: boolean): Promise<number> {
  const answer = await api.vms.listLabels({});
  if (json) return out(toJson(answer)), 0;
  out(formatTable(['LABEL', 'HOST', 'BACKEND', 'SLOTS', 'ACCEL', 'AVAILABLE'], answer.labels.map((l) =>
    [[l.name, ...l.aliases].join(','), l.host, lower(vmBackendToJSON(l.backend), 'VM_BACKEND_'), `${l.slotsInUse}/${l.slotsTotal}`, l.accelerator || '-', l.unavailableReason ? `no: ${l.unavailableReason}` : 'yes'])));
  for (const line of answer.unreachable) out(`unreachable: ${line}`);
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
