import { useState } from 'preact/hooks';
import type { ListFilter } from '../api/list-filter.ts';

/** A text field of a table's filters. */
export interface FilterField<K extends string> { key: K; label: string; size?: number }

/**
 * A table's filters: states (toggles, applied at once) and text fields (applied on Enter or
 * leaving the field). Any change goes back to the first page.
 */
export function ListFilters<K extends string>(props: { name: string; states: readonly string[]; fields: ReadonlyArray<FilterField<K>>; filter: ListFilter<K>; onChange: (filter: ListFilter<K>) => void }) {
  const { filter, onChange } = props;
  const [text, setText] = useState<Record<string, string>>(() => Object.fromEntries(props.fields.map((f) => [f.key, filter[f.key]])));
  const apply = () => {
    if (props.fields.every((f) => text[f.key]!.trim() === filter[f.key])) return;
    onChange({ ...filter, ...Object.fromEntries(props.fields.map((f) => [f.key, text[f.key]!.trim()])), cursor: '' });
  };
  const toggle = (state: string) => {
    const states = filter.states.includes(state) ? filter.states.filter((s) => s !== state) : [...filter.states, state];
    onChange({ ...filter, states, cursor: '' });
  };
  return (
    <form class="filters" onSubmit={(e) => (e.preventDefault(), apply())} aria-label={`Filter ${props.name}`}>
      <fieldset class="states">
        <legend>State</legend>
        {props.states.map((state) => (
          <button type="button" key={state} class="chip" aria-pressed={filter.states.includes(state)} onClick={() => toggle(state)}>
            {state.replace('_', ' ')}
          </button>
        ))}
      </fieldset>
      {props.fields.map((field) => (
        <label key={field.key}>
          {field.label}{' '}
          <input name={field.key} value={text[field.key]} placeholder="any" size={field.size}
            onInput={(e) => setText({ ...text, [field.key]: (e.target as HTMLInputElement).value })} onBlur={apply} />
        </label>
      ))}
      <button type="submit">Apply</button>
    </form>
  );
}
