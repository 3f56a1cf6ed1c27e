import type { Job } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { artifactWhenFromJSON, jobStateFromJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Api } from '../create-api.ts';
import { formatJobState, formatTable, formatTime, toJson } from '../format.ts';
import { flag, flags, UsageError, type ParsedArgs } from '../parse-args.ts';
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
  const env: Record<string, string> = {};
  for (const pair of flags(args, 'env')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--env takes KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // A secret's value comes from this process's environment, never the command line (ps would show it).
  const secretEnv: Record<string, string> = {};
  for (const key of flags(args, 'secret-env')) {
    const value = process.env[key];
    if (value === undefined || value === '') throw new UsageError(`--secret-env ${key}: set ${key} in the environment of this command`);
    secretEnv[key] = value;
  }
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

/** `jobmesh logs ID [-f] [--from OFFSET]` */
export async function logs(api: Api, args: ParsedArgs): Promise<number> {
  const requestId = requireId(args, 'logs');
  if (args.flags.has('f') || args.flags.has('follow')) return followJob(api, requestId, { quiet: true });
  const from = Number(flag(args, 'from') ?? 0);
  if (!Number.isSafeInteger(from) || from < 0) throw new UsageError(`--from takes a chunk offset (0 or more), got ${flag(args, 'from')}`);
  await printLog(api, requestId, from);
  return 0;
}

/** `jobmesh cancel ID [--reason TEXT]` */
export async function cancel(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const { job } = await api.jobs.cancelJob({ requestId: requireId(args, 'cancel'), reason: flag(args, 'reason') ?? '' });
  out(json ? toJson(job) : `cancel requested for job ${job!.requestId} (now ${formatJobState(job!.state)})`);
  return 0;
}
