import { useEffect, useState } from 'preact/hooks';
import { terminalJobStates, type ActionResult, type ApiErrorBody, type JobsPage as Page } from '../../shared/api-types.ts';
import type { JobFilter } from '../api/create-console-api.ts';
import { navigate, useLocation } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { JobsFilters } from './jobs-filters.tsx';
import { JobsTable } from './jobs-table.tsx';

const filterOf = (query: URLSearchParams): JobFilter => ({
  states: (query.get('state') ?? '').split(',').filter(Boolean), label: query.get('label') ?? '', repo: query.get('repo') ?? '', cursor: query.get('cursor') ?? '',
});
const queryOf = (filter: JobFilter) => {
  const query = new URLSearchParams();
  if (filter.states.length) query.set('state', filter.states.join(','));
  for (const key of ['label', 'repo', 'cursor'] as const) if (filter[key]) query.set(key, filter[key]);
  const text = query.toString();
  return text ? `?${text}` : '';
};

/** Jobs: a table that follows the API live, filtered by state, label and repository, with cursor paging and bulk cancel. */
export function JobsPage() {
  const { api, can } = useSession();
  const { query } = useLocation();
  const filter = filterOf(query);
  const filterKey = queryOf(filter);
  const [page, setPage] = useState<Page | null>(null);
  const [streamError, setStreamError] = useState<ApiErrorBody | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [results, setResults] = useState<ActionResult[] | null>(null);
  // Cursors of the pages before this one, so "Newer" goes back (cursors only lead to older pages).
  const [previous, setPrevious] = useState<string[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    const follow = async () => {
      while (!controller.signal.aborted) {
        await api.liveJobs(filter, (p) => (setPage(p), setStreamError(null)), setStreamError, controller.signal).catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e);
        });
        await new Promise((r) => setTimeout(r, 1000)); // the stream ended (console restarted): open it again
      }
    };
    void follow();
    return () => controller.abort();
  }, [api, filterKey]);

  const setFilter = (next: JobFilter, keepHistory = false) => {
    if (!keepHistory) setPrevious([]);
    setSelected(new Set());
    navigate(`/jobs${queryOf(next)}`, true);
  };
  const cancellable = can('admin');
  const cancellableSelected = [...selected].filter((id) => page?.jobs.some((j) => j.id === id && !terminalJobStates.includes(j.state)) ?? true);

  const cancelSelected = async () => {
    setConfirming(false);
    try {
      const { results } = await api.cancelMany(cancellableSelected);
      setResults(results);
      setSelected(new Set());
    } catch (e) {
      setError(e);
    }
  };

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Jobs</h1>
        <span class="live" role="status">{streamError ? `live updates paused: ${streamError.message}` : page ? 'live' : 'connecting…'}</span>
      </div>
      <JobsFilters filter={filter} onChange={setFilter} />
      <ErrorNote error={error} />
      {cancellable && (
        <div class="bulk" role="group" aria-label="Selected jobs">
          <span>{selected.size} selected</span>
          {!confirming ? (
            <button type="button" class="danger" disabled={!cancellableSelected.length} onClick={() => setConfirming(true)}>
              Cancel selected
            </button>
          ) : (
            <>
              <span role="alert">Cancel {cancellableSelected.length} job{cancellableSelected.length === 1 ? '' : 's'}?</span>
              <button type="button" class="danger" onClick={cancelSelected}>Yes, cancel them</button>
              <button type="button" onClick={() => setConfirming(false)}>Keep them</button>
            </>
          )}
        </div>
      )}
      {results && (
        <p role="status" class="note">
          Cancel: {results.filter((r) => r.ok).length} asked, {results.filter((r) => !r.ok).length} refused
          {results.filter((r) => !r.ok).map((r) => ` · ${r.id.slice(0, 8)}: ${r.error?.code} ${r.error?.message}`).join('')}
          <button type="button" class="link" onClick={() => setResults(null)}>dismiss</button>
        </p>
      )}
      {page && (
        <JobsTable
          jobs={page.jobs}
          selected={cancellable ? selected : null}
          onToggle={(id) => setSelected((s) => {
            const next = new Set(s);
            if (!next.delete(id)) next.add(id);
            return next;
          })}
        />
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={!filter.cursor} onClick={() => {
          const back = previous.slice(0, -1);
          setFilter({ ...filter, cursor: previous[previous.length - 1] ?? '' }, true);
          setPrevious(back);
        }}>← Newer</button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => {
          setPrevious([...previous, filter.cursor]);
          setFilter({ ...filter, cursor: page!.nextCursor }, true);
        }}>Older →</button>
      </nav>
    </main>
  );
}
