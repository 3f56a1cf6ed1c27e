import { pipelineStateFromJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Api } from '../create-api.ts';
import { formatPipelineState, formatTable, formatTime, toJson } from '../format.ts';
import { flag, flags, UsageError, type ParsedArgs } from '../parse-args.ts';
import { describePipeline } from './describe-pipeline.ts';
import { reportStartedPipeline } from './follow-pipeline.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const requirePipelineId = (args: ParsedArgs, what: string) => {
  const id = args.positionals[0];
  if (!id) throw new UsageError(`${what} needs a pipeline id`);
  return id;
};

/** `jobmesh pipelines [--state S]... [--repo URL] [--limit N] [--page TOKEN]`: newest first. */
export async function pipelines(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const states = flags(args, 'state').map((s) => {
    const value = pipelineStateFromJSON(`PIPELINE_STATE_${s.toUpperCase()}`);
    if (value <= 0) throw new UsageError(`unknown pipeline state ${s} (running, succeeded, failed, cancelled)`);
    return value;
  });
  const page = await api.pipelines.listPipelines({ states, repoUrl: flag(args, 'repo') ?? '', pageSize: Number(flag(args, 'limit') ?? 20), pageToken: flag(args, 'page') ?? '' });
  if (json) return out(toJson(page)), 0;
  // ListPipelines sends pipelines without their jobs: `jobmesh pipeline ID` shows them.
  out(formatTable(['ID', 'STATE', 'ATTEMPT', 'CREATED', 'COMMIT', 'MANIFEST', 'REPO'], page.pipelines.map((p) =>
    [p.id, formatPipelineState(p.state), String(p.attempt), formatTime(p.createdAt), p.commitSha.slice(0, 12), p.manifestPath, p.repoUrl])));
  if (page.nextPageToken) out(`more: jobmesh pipelines --page ${page.nextPageToken}`);
  return 0;
}

/** `jobmesh pipeline ID`: the pipeline with its jobs as a tree, each under what it needs, and their steps. */
export async function pipeline(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const { pipeline: found } = await api.pipelines.getPipeline({ id: requirePipelineId(args, 'pipeline') });
  out(json ? toJson(found) : describePipeline(found!));
  return 0;
}

/**
 * `jobmesh retry ID [--failed] [--follow]`: runs an ended pipeline again as a new attempt (with
 * --failed only its failed, cancelled and skipped jobs).
 * @returns 0 (with --follow: 0 when the new attempt succeeded, 1 when it failed or was cancelled)
 */
export async function retry(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const failedOnly = args.flags.has('failed');
  const { pipeline: started } = await api.pipelines.retryPipeline({ id: requirePipelineId(args, 'retry'), failedOnly });
  const intro = `pipeline ${started!.id}: attempt ${started!.attempt} runs ${failedOnly ? 'its failed, cancelled and skipped jobs' : 'every job'} again`;
  return reportStartedPipeline(api, started!, intro, { follow: args.flags.has('follow') || args.flags.has('f'), json });
}

/** `jobmesh approve ID JOB STEP`: approves a block step (STEP: its name or index); a repeat changes nothing. */
export async function approve(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const [pipelineId, jobKey, step] = args.positionals;
  if (!pipelineId || !jobKey || step === undefined) throw new UsageError('approve needs a pipeline id, a job key and a block step (its name or index)');
  const answer = await api.pipelines.approveStep({ pipelineId, jobKey, step });
  if (json) return out(toJson(answer)), 0;
  const what = `step ${answer.step!.index} ${JSON.stringify(answer.step!.name)} of job ${jobKey} in pipeline ${pipelineId}`;
  out(answer.approvedNow ? `approved ${what}` : `${what} was approved before${answer.step!.approvedBy ? ` (by ${answer.step!.approvedBy})` : ''}; nothing changed`);
  return 0;
}
