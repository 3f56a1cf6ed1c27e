import type { PipelinesPage as Page } from '../../shared/api-types.ts';
import type { PipelineFilter } from '../api/create-console-api.ts';
import { filterOf, queryOf } from '../api/list-filter.ts';
import { navigate, useLocation } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { CursorPager } from '../ui/cursor-pager.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { ListFilters } from '../ui/list-filters.tsx';
import { useLive } from '../ui/use-live.tsx';
import { PipelinesTable } from './pipelines-table.tsx';
import { SubmitPipelineForm } from './submit-pipeline-form.tsx';

const states = ['running', 'succeeded', 'failed', 'cancelled'] as const;
const filterFields = [{ key: 'repo', label: 'Repository', size: 28 }] as const;

/** Pipelines: a table that follows the API live, filtered by state and repository (kept in the URL), with cursor paging; a form to run one (submit). */
export function PipelinesPage() {
  const { api, can } = useSession();
  const { query } = useLocation();
  const filter: PipelineFilter = filterOf(query, ['repo']);
  const filterKey = queryOf(filter);
  const live = useLive<Page>((onPage, onError, signal) => api.livePipelines(filter, onPage, onError, signal), [api, filterKey]);
  const setFilter = (next: PipelineFilter) => {
    const text = queryOf(next);
    navigate(`/pipelines${text ? `?${text}` : ''}`, true);
  };
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Pipelines</h1>
        <span class="live" role="status">{live.paused ? `live updates paused: ${live.paused.message}` : live.value ? 'live' : 'connecting…'}</span>
      </div>
      {can('submit') && <SubmitPipelineForm />}
      <ListFilters name="pipelines" states={states} fields={filterFields} filter={filter} onChange={setFilter} />
      <ErrorNote error={live.error} />
      {live.value && <PipelinesTable pipelines={live.value.pipelines} />}
      <CursorPager cursor={filter.cursor} nextCursor={live.value?.nextCursor} onCursor={(cursor) => setFilter({ ...filter, cursor })} />
    </main>
  );
}
