import { useState } from 'preact/hooks';
import { terminalJobStates, type ActionResult, type JobsPage as Page } from '../../shared/api-types.ts';
import type { JobFilter } from '../api/create-console-api.ts';
import { filterOf, queryOf } from '../api/list-filter.ts';
import { navigate, useLocation } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { CursorPager } from '../ui/cursor-pager.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { ListFilters } from '../ui/list-filters.tsx';
import { useLive } from '../ui/use-live.tsx';
import { filterableStates } from './job-states.ts';
import { JobsTable } from './jobs-table.tsx';

const filterFields = [{ key: 'label', label: 'Label' }, { key: 'repo', label: 'Repository', size: 28 }] as const;

/** Jobs: a table that follows the API live, filtered by state, label and repository, with cursor paging and bulk cancel. */
export function JobsPage() {
  const { api, can } = useSession();
  const { query } = useLocation();
  const filter: JobFilter = filterOf(query, ['label', 'repo']);
  const filterKey = queryOf(filter);
  const live = useLive<Page>((onPage, onError, signal) => api.liveJobs(filter, onPage, onError, signal), [api, filterKey]);
  const page = live.value;
  const [actionError, setError] = useState<unknown>(null);
  const error = live.error ?? actionError;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [results, setResults] = useState<ActionResult[] | null>(null);

  const setFilter = (next: JobFilter) => {
    setSelected(new Set());
    const text = queryOf(next);
    navigate(`/jobs${text ? `?${text}` : ''}`, true);
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
        <span class="live" role="status">{live.paused ? `live updates paused: ${live.paused.message}` : page ? 'live' : 'connecting…'}</span>
      </div>
      <ListFilters name="jobs" states={filterableStates} fields={filterFields} filter={filter} onChange={setFilter} />
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
      <CursorPager cursor={filter.cursor} nextCursor={page?.nextCursor} onCursor={(cursor) => setFilter({ ...filter, cursor })} />
    </main>
  );
}
