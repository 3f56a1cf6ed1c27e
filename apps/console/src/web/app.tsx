import { useEffect, useMemo, useState } from 'preact/hooks';
import type { SessionView } from '../shared/api-types.ts';
import { createConsoleApi } from './api/create-console-api.ts';
import { ArtifactsPage } from './artifacts/artifacts-page.tsx';
import { JobPage } from './job/job-page.tsx';
import { JobsPage } from './jobs/jobs-page.tsx';
import { OperationPage } from './operation/operation-page.tsx';
import { PipelinePage } from './pipeline/pipeline-page.tsx';
import { PipelinesPage } from './pipelines/pipelines-page.tsx';
import { Link, navigate, useLocation } from './router/router.tsx';
import { roleAllows, SessionContext } from './session/session-context.tsx';
import { TokenForm } from './session/token-form.tsx';
import { ErrorNote } from './ui/error-note.tsx';
import { VmsPage } from './vms/vms-page.tsx';

const tokenKey = 'jobmesh.console.token';

/** The page for a path; null when none matches. */
function pageFor(path: string) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'jobs' && parts.length === 1) return <JobsPage />;
  if (parts[0] === 'jobs' && parts.length === 2) return <JobPage id={parts[1]!} />;
  if (parts[0] === 'jobs' && parts[2] === 'artifacts') return <ArtifactsPage id={parts[1]!} />;
  if (parts[0] === 'operations' && parts.length === 2) return <OperationPage id={parts[1]!} />;
  if (parts[0] === 'vms') return <VmsPage />;
  if (parts[0] === 'pipelines' && parts.length === 1) return <PipelinesPage />;
  if (parts[0] === 'pipelines' && parts.length === 2) return <PipelinePage id={parts[1]!} />;
  return null;
}

const sections = [
  { href: '/jobs', label: 'Jobs' },
  { href: '/vms', label: 'VMs' },
  { href: '/pipelines', label: 'Pipelines' },
];

/** The console: navigation, the session (token and role) and the page of the URL. */
export function App() {
  const { path } = useLocation();
  const [token, setToken] = useState(() => sessionStorage.getItem(tokenKey) ?? '');
  const api = useMemo(() => createConsoleApi(() => token), [token]);
  const [session, setSession] = useState<SessionView | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (path === '/') navigate('/jobs', true);
  }, [path]);
  useEffect(() => {
    const controller = new AbortController();
    setSession(null);
    api.session(controller.signal).then((s) => (setSession(s), setError(null)), (e: unknown) => !controller.signal.aborted && setError(e));
    return () => controller.abort();
  }, [api]);

  const useToken = (value: string) => {
    if (value) sessionStorage.setItem(tokenKey, value);
    else sessionStorage.removeItem(tokenKey);
    setToken(value);
  };
  const signedIn = session && (session.open || session.role);
  const page = pageFor(path);

  return (
    <SessionContext.Provider value={session && { api, session, can: (needed) => roleAllows(session, needed) }}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">jobmesh</span>
        <nav aria-label="Sections">
          {sections.map((s) => (
            <Link key={s.href} href={s.href} aria-current={path.startsWith(s.href) ? 'page' : undefined}>{s.label}</Link>
          ))}
        </nav>
        <div class="who" role="status">
          {session?.open && <span class="open-api">API open: no token needed</span>}
          {session && !session.open && session.role && (
            <>
              <span>token role: <strong>{session.role}</strong></span>
              <button type="button" class="link" onClick={() => useToken('')}>Sign out</button>
            </>
          )}
        </div>
      </header>
      {error ? (
        <main class="page" id="main"><h1>The console cannot reach the API</h1><ErrorNote error={error} /></main>
      ) : !session ? (
        <main class="page" id="main"><p aria-busy="true">Connecting…</p></main>
      ) : !signedIn ? (
        <TokenForm problem={session.tokenProblem} onToken={useToken} />
      ) : (
        page ?? <main class="page" id="main"><h1>Not found</h1><p>No page here. <Link href="/jobs">Jobs</Link></p></main>
      )}
    </SessionContext.Provider>
  );
}
