import type { StepView } from '../../shared/api-types.ts';
import { Link } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { formatDuration, formatTime, short } from '../ui/format.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import { useRead } from '../ui/use-read.tsx';
import { layoutTimeline } from './layout-timeline.ts';

const pretty = (json: string) => {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
};

function StepDetails(props: { step: StepView }) {
  const { step } = props;
  if (!step.error && !step.output) return null;
  return (
    <details class={step.status === 'failed' ? 'step-error' : ''} open={step.status === 'failed'}>
      <summary>{step.status === 'failed' ? 'Error' : 'Output'}</summary>
      <pre>{pretty(step.status === 'failed' ? step.error : step.output)}</pre>
    </details>
  );
}

/** An operation: the durable workflow's steps as a timeline (bars by start and duration, attempts, the failed step and its error). */
export function OperationPage(props: { id: string }) {
  const { api } = useSession();
  const { value: operation, error } = useRead((signal) => api.operation(props.id, signal), [api, props.id],
    (value) => (value.status === 'running' || value.status === 'pending' ? 1000 : undefined));

  const timeline = operation && layoutTimeline(operation);
  const running = operation && (operation.status === 'running' || operation.status === 'pending');
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Operation <code>{short(props.id)}</code></h1>
        {operation?.jobId && <nav class="subnav" aria-label="Related"><Link href={`/jobs/${operation.jobId}`}>Job and log</Link></nav>}
      </div>
      <ErrorNote error={error} />
      {operation && timeline && (
        <>
          <dl class="facts">
            <div><dt>Status</dt><dd><StateBadge state={operation.status} /></dd></div>
            <div><dt>Workflow</dt><dd><code>{operation.name}</code></dd></div>
            <div><dt>Created</dt><dd>{formatTime(operation.createdAt)}</dd></div>
            <div><dt>Finished</dt><dd>{operation.finishedAt ? formatTime(operation.finishedAt) : '—'}</dd></div>
            <div><dt>Span</dt><dd>{formatDuration(timeline.spanMs)}</dd></div>
            <div><dt>Steps recorded</dt><dd>{operation.steps.length}</dd></div>
          </dl>
          {operation.error && <p class="error" role="note"><strong>Error:</strong> {operation.error}</p>}
          <ol class="timeline" aria-label="Steps by start time and duration">
            {timeline.bars.map((bar) => (
              <li key={bar.step.number} class={`step ${bar.step.status}${bar.retried ? ' retried' : ''}`}>
                <div class="step-name">
                  <span class="step-number">{bar.step.number}</span> <code>{bar.step.name}</code>
                  {bar.retried && <span class="attempts" title="attempts this step took">{bar.step.attempts} attempts</span>}
                  {bar.step.status === 'failed' && <strong class="failed-word"> failed</strong>}
                </div>
                <div class="track" aria-hidden="true">
                  <div class="bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />
                </div>
                <div class="step-time">
                  <span class="visually-hidden">started {formatTime(bar.step.startedAt)}, took </span>{formatDuration(bar.durationMs)}
                </div>
                <StepDetails step={bar.step} />
              </li>
            ))}
            {running && <li class="step running"><div class="step-name">next step running…</div></li>}
          </ol>
        </>
      )}
    </main>
  );
}
