import { useState } from 'preact/hooks';

/**
 * "Newer" and "Older" for a table read by cursor (cursors only lead to older pages): the cursors
 * of the pages before this one are kept, so "Newer" goes back one page.
 */
export function CursorPager(props: { cursor: string; nextCursor: string | undefined; onCursor: (cursor: string) => void }) {
  const [previous, setPrevious] = useState<string[]>([]);
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!props.cursor} onClick={() => {
        props.onCursor(previous[previous.length - 1] ?? '');
        setPrevious(previous.slice(0, -1));
      }}>← Newer</button>
      <button type="button" disabled={!props.nextCursor} onClick={() => {
        setPrevious([...previous, props.cursor]);
        props.onCursor(props.nextCursor!);
      }}>Older →</button>
    </nav>
  );
}
