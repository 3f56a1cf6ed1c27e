import { useState } from 'preact/hooks';
import type { JobFilter } from '../api/create-console-api.ts';
import { filterableStates } from './job-states.ts';

/** The jobs table's filters: states (toggles), label and repository (applied on Enter or leaving the field). */
export function JobsFilters(props: { filter: JobFilter; onChange: (filter: JobFilter) => void }) {
  const { filter, onChange } = props;
  const [label, setLabel] = useState(filter.label);
  const [repo, setRepo] = useState(filter.repo);
  const apply = () => (label !== filter.label || repo !== filter.repo) && onChange({ ...filter, label: label.trim(), repo: repo.trim(), cursor: '' });
  const toggle = (state: string) => {
    const states = filter.states.includes(state) ? filter.states.filter((s) => s !== state) : [...filter.states, state];
    onChange({ ...filter, states, cursor: '' });
  };
  return (
    <form class="filters" onSubmit={(e) => (e.preventDefault(), apply())} aria-label="Filter jobs">
      <fieldset class="states">
        <legend>State</legend>
        {filterableStates.map((state) => (
          <button type="button" key={state} class="chip" aria-pressed={filter.states.includes(state)} onClick={() => toggle(state)}>
            {state.replace('_', ' ')}
          </button>
        ))}
      </fieldset>
      <label>
        Label <input name="label" value={label} placeholder="any" onInput={(e) => setLabel((e.target as HTMLInputElement).value)} onBlur={apply} />
      </label>
      <label>
        Repository <input name="repo" value={repo} placeholder="any" size={28} onInput={(e) => setRepo((e.target as HTMLInputElement).value)} onBlur={apply} />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
