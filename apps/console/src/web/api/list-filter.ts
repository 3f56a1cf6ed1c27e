/** A table's filter as its URL and the console's API carry it: states, text fields `K`, and the page's cursor. */
export type ListFilter<K extends string> = { states: string[]; cursor: string } & { [key in K]: string };

/** The filter of a query string: `state` (comma-separated), each text field, `cursor`. */
export function filterOf<K extends string>(query: URLSearchParams, fields: readonly K[]): ListFilter<K> {
  const text = Object.fromEntries(fields.map((field) => [field, query.get(field) ?? ''])) as { [key in K]: string };
  return { states: (query.get('state') ?? '').split(',').filter(Boolean), ...text, cursor: query.get('cursor') ?? '' };
}

/** The query string of a filter (no `?`; empty values left out; the cursor last). */
export function queryOf(filter: { states: string[]; cursor: string }): string {
  const query = new URLSearchParams();
  if (filter.states.length) query.set('state', filter.states.join(','));
  for (const [key, value] of Object.entries(filter)) if (key !== 'states' && key !== 'cursor' && typeof value === 'string' && value) query.set(key, value);
  if (filter.cursor) query.set('cursor', filter.cursor);
  return query.toString();
}
