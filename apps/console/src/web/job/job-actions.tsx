import { terminalJobStates, type JobView } from '../../shared/api-types.ts';
import { navigate } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { useAction } from '../ui/use-action.tsx';

/** Starts a download through a short-lived link (links cannot carry the bearer header). */
export async function download(api: ReturnType<typeof useSession>['api'], target: Parameters<typeof api.downloadUrl>[0]): Promise<void> {
  const { url } = await api.downloadUrl(target);
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}

/** What may be done with a job, each shown only when the token's proven role allows it. */
export function JobActions(props: { job: JobView; onChanged: (job: JobView) => void }) {
  const { api, can } = useSession();
  const { job } = props;
  const { busy, error, run: act } = useAction();
  const ended = terminalJobStates.includes(job.state);
  return (
    <div class="actions" role="group" aria-label="Job actions">
      {can('admin') && !ended && (
        <button type="button" class="danger" disabled={busy} onClick={() => act(async () => props.onChanged((await api.cancel(job.id)).job!))}>Cancel job</button>
      )}
      {can('submit') && ended && !job.pipelineId && (
        <button type="button" disabled={busy} title="Submits the same repository, commit, label, script and env as a new job"
          onClick={() => act(async () => navigate(`/jobs/${(await api.retry(job.id)).job!.id}`))}>Retry as a new job</button>
      )}
      <button type="button" disabled={busy} onClick={() => act(() => download(api, { kind: 'log', jobId: job.id }))}>Download raw log</button>
      <ErrorNote error={error} />
    </div>
  );
}
