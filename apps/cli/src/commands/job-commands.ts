import type { Job } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { artifactWhenFromJSON, jobStateFromJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, MeshError, status } from '@jobmesh/grpc-kit';
import type { Api } from '../create-api.ts';
import { formatJobState, formatPipelineState, formatTable, formatTime, toJson } from '../format.ts';
import { flag, flags, InputError, UsageError, type ParsedArgs } from '../parse-args.ts';
import { envFlags } from './env-flags.ts';
import { followJob } from './follow-job.ts';
import { printLog } from './print-log.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const requireId = (args: ParsedArgs, what: string) => {
  const id = args.positionals[0];
  if (!id) throw new UsageError(`${what} needs a job id`);
  return id;
};

function describeJob(job: Job): string {
  const rows: [string, string][] = [
    ['id', job.requestId], ['state', formatJobState(job.state)], ['exit code', job.exitCode === undefined ? '-' : String(job.exitCode)],
    ['repo', job.repoUrl], ['commit', job.commitSha], ['runs on', job.runsOn], ['timeout', `${job.timeoutMs} ms`],
    ['artifacts', job.artifactPatterns.join(' ') || '-'], ['manifest', job.artifactManifest || '-'], ['operation', job.operationId || '-'], ['trace', job.traceId || '-'],
    ['created', formatTime(job.createdAt)], ['finished', formatTime(job.finishedAt)], ['error', job.error || '-'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n') + `\nscript\n${job.script.replace(/^/gm, '  ')}`;
}

/** `jobmesh submit --repo URL --commit SHA --runs-on LABEL [--env K=V]... [--secret-env K]... [--timeout MS] [--artifact GLOB]... [--artifact-when W] [--id UUID] [--follow] -- commands...` */
export async function submit(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const { env, secretEnv } = envFlags(args);
  const script = args.rest.join(' ') || flag(args, 'script') || '';
  const whenText = flag(args, 'artifact-when') ?? 'on_success';
  const artifactWhen = artifactWhenFromJSON(`ARTIFACT_WHEN_${whenText.toUpperCase().replaceAll('-', '_')}`);
  if (artifactWhen <= 0) throw new UsageError(`--artifact-when takes on_success, on_failure or always, got ${whenText}`);
  const { job } = await api.jobs.submitJob({
    repoUrl: flag(args, 'repo') ?? '', commitSha: flag(args, 'commit') ?? '', runsOn: flag(args, 'runs-on') ?? '',
    script, env, secretEnv, timeoutMs: Number(flag(args, 'timeout') ?? 0), artifactPatterns: flags(args, 'artifact'), artifactWhen, requestId: flag(args, 'id') ?? '',
  });
  if (json && !args.flags.has('follow')) return out(toJson(job)), 0;
  process.stderr.write(`submitted job ${job!.requestId}\n`);
  if (!args.flags.has('follow')) return out(job!.requestId), 0;
  const code = await followJob(api, job!.requestId);
  if (json) out(toJson((await api.jobs.getJob({ requestId: job!.requestId })).job));
  return code;
}

/** `jobmesh jobs [--state S]... [--runs-on L] [--repo URL] [--limit N] [--page TOKEN]` */
export async function jobs(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const states = flags(args, 'state').map((s) => {
    const value = jobStateFromJSON(`JOB_STATE_${s.toUpperCase()}`);
    if (value < 0) throw new UsageError(`unknown state ${s}`);
    return value;
  });
  const page = await api.jobs.listJobs({ states, runsOn: flag(args, 'runs-on') ?? '', repoUrl: flag(args, 'repo') ?? '', pageSize: Number(flag(args, 'limit') ?? 20), pageToken: flag(args, 'page') ?? '' });
  if (json) return out(toJson(page)), 0;
  out(formatTable(['ID', 'STATE', 'EXIT', 'RUNS ON', 'CREATED', 'REPO'], page.jobs.map((j) =>
    [j.requestId, formatJobState(j.state), j.exitCode === undefined ? '-' : String(j.exitCode), j.runsOn, formatTime(j.createdAt), j.repoUrl])));
  if (page.nextPageToken) out(`more: jobmesh jobs --page ${page.nextPageToken}`);
  return 0;
}

/** `jobmesh show ID` */
export async function show(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const { job } = await api.jobs.getJob({ requestId: requireId(args, 'show') });
  out(json ? toJson(job) : describeJob(job!));
  return 0;
}

/** The step `--step N|NAME` names: an index as given, a name looked up in the job's steps. */
async function stepOf(api: Api, requestId: string, step: string): Promise<number> {
  if (/^\d+$/.test(step)) return Number(step);
  const { job } = await api.jobs.getJob({ requestId });
  const found = job!.steps.find((s) => s.name === step);
  if (!found) {
    const known = job!.steps.map((s) => `${s.index} ${JSON.stringify(s.name)}`).join(', ');
    throw new InputError(`job ${requestId} has no step named ${JSON.stringify(step)}${known ? `; its steps: ${known}` : ' (it is not a pipeline job with steps)'}`);
  }
  return found.index;
}

/** `jobmesh logs ID [-f] [--from OFFSET | --step N|NAME]` */
export async function logs(api: Api, args: ParsedArgs): Promise<number> {
  const requestId = requireId(args, 'logs');
  const follow = args.flags.has('f') || args.flags.has('follow');
  const step = flag(args, 'step');
  if (step !== undefined) {
    if (flag(args, 'from') !== undefined) throw new UsageError('--from and --step do not go together: a step\'s log starts at the step');
    await printLog(api, requestId, 0, { step: await stepOf(api, requestId, step), follow });
    return 0;
  }
  if (follow) return followJob(api, requestId, { quiet: true });
  const from = Number(flag(args, 'from') ?? 0);
  if (!Number.isSafeInteger(from) || from < 0) throw new UsageError(`--from takes a chunk offset (0 or more), got ${flag(args, 'from')}`);
  await printLog(api, requestId, from);
  return 0;
}

/**
 * `jobmesh cancel ID [--reason TEXT]`: a job, or else a pipeline. The job is tried first: it is
 * what cancel always meant (its output and exit codes stay as they were) and the common case, so
 * only a pipeline id costs a second call. Both ids are random UUIDs, so an id is never both.
 */
export async function cancel(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const id = args.positionals[0];
  if (!id) throw new UsageError('cancel needs a job or pipeline id');
  const reason = flag(args, 'reason') ?? '';
  const cancelled = await api.jobs.cancelJob({ requestId: id, reason }).catch((error: unknown) => {
    if (isMeshError(error, status.NOT_FOUND, 'JOB_NOT_FOUND')) return undefined;
    throw error;
  });
  if (cancelled) {
    const job = cancelled.job!;
    out(json ? toJson(job) : `cancel requested for job ${job.requestId} (now ${formatJobState(job.state)})`);
    if (!json && job.pipelineId) process.stderr.write(`job ${job.requestId} is job ${job.pipelineJobKey} of pipeline ${job.pipelineId}; jobmesh cancel ${job.pipelineId} cancels the whole pipeline\n`);
    return 0;
  }
  const { pipeline } = await api.pipelines.cancelPipeline({ id, reason }).catch((error: unknown) => {
    if (!isMeshError(error, status.NOT_FOUND, 'PIPELINE_NOT_FOUND')) throw error;
    throw new MeshError(status.NOT_FOUND, 'NOT_FOUND', `${id} is neither a job nor a pipeline`, { cause: error });
  });
  out(json ? toJson(pipeline) : `cancel requested for pipeline ${pipeline!.id} (now ${formatPipelineState(pipeline!.state)}; it ends cancelled once its running jobs ended)`);
  return 0;
}
