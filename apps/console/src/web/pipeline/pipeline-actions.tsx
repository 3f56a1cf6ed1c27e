import { terminalPipelineStates, type PipelineView } from '../../shared/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { useAction } from '../ui/use-action.tsx';

/**
 * What may be done with a pipeline, each shown only when the token's proven role allows it:
 * retry failed / retry all (RetryPipeline, submit) once it ended, cancel (admin) while it runs.
 */
export function PipelineActions(props: { pipeline: PipelineView; onChanged: (pipeline: PipelineView) => void }) {
  const { api, can } = useSession();
  const { pipeline } = props;
  const { busy, error, run } = useAction();
  const ended = terminalPipelineStates.includes(pipeline.state);
  const act = (action: () => Promise<PipelineView>) => run(async () => props.onChanged(await action()));
  if (!(can('submit') && ended) && !(can('admin') && !ended)) return null;
  return (
    <div class="actions" role="group" aria-label="Pipeline actions">
      {can('submit') && ended && pipeline.state !== 'succeeded' && (
        <button type="button" disabled={busy} title="A new attempt of the jobs that failed, were cancelled or skipped; succeeded jobs keep their results"
          onClick={() => act(() => api.retryPipeline(pipeline.id, true))}>Retry failed</button>
      )}
      {can('submit') && ended && (
        <button type="button" disabled={busy} title="A new attempt of every job" onClick={() => act(() => api.retryPipeline(pipeline.id, false))}>Retry all</button>
      )}
      {can('admin') && !ended && (
        <button type="button" class="danger" disabled={busy} onClick={() => act(() => api.cancelPipeline(pipeline.id))}>Cancel pipeline</button>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
