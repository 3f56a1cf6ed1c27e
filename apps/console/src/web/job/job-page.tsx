import { useEffect, useState } from 'preact/hooks';
import type { JobView } from '../../shared/api-types.ts';
import { LogView } from '../log/log-view.tsx';
import { useJobLog } from '../log/use-job-log.tsx';
import { Link } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { short } from '../ui/format.ts';
import { JobActions } from './job-actions.tsx';
import { JobHeader } from './job-header.tsx';

/** A job: its header kept live, its actions, and its log following live from the tail. */
export function JobPage(props: { id: string }) {
  const { api } = useSession();
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [step, setStep] = useState<number | undefined>(undefined);
  const log = useJobLog(api, props.id, step);

  useEffect(() => {
    const controller = new AbortController();
    setJob(null);
    setError(null);
    api.liveJob(props.id, setJob, controller.signal).catch((e: unknown) => !controller.signal.aborted && setError(e));
    return () => controller.abort();
  }, [api, props.id]);

  return (
    <main class="page job-page" id="main">
      <div class="page-head">
        <h1>Job <code>{short(props.id)}</code></h1>
        <nav class="subnav" aria-label="About this job">
          <Link href={`/operations/${props.id}`}>Operation timeline</Link>
          <Link href={`/jobs/${props.id}/artifacts`}>Artifacts</Link>
        </nav>
      </div>
      <ErrorNote error={error} />
      {job && (
        <>
          <JobHeader job={job} />
          <JobActions job={job} onChanged={setJob} />
        </>
      )}
      <ErrorNote error={log.error} />
      <LogView model={log.model} version={log.version} hasEarlier={log.hasEarlier} following={log.following} onLoadEarlier={log.loadEarlier} steps={job?.steps} step={step} onStep={setStep} />
    </main>
  );
}
