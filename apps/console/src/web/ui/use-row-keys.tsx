import type { TargetedKeyboardEvent } from 'preact';

/**
 * Keyboard navigation of a table's rows, or a graph's nodes (each `tabIndex=0` with `data-row`): ↓/j and ↑/k
 * move between rows, Home/End to the first and last, Enter opens the row, Space toggles it.
 */
export function rowKeys(onOpen: (index: number) => void, onToggle?: (index: number) => void) {
  return (event: TargetedKeyboardEvent<HTMLElement | SVGElement>) => {
    const row = (event.target as Element).closest<HTMLElement | SVGElement>('[data-row]');
    if (!row || event.target !== row) return;
    const rows = [...event.currentTarget.querySelectorAll<HTMLElement | SVGElement>('[data-row]')];
    const index = rows.indexOf(row);
    const focus = (i: number) => rows[Math.max(0, Math.min(rows.length - 1, i))]?.focus();
    const keys: Record<string, () => void> = {
      ArrowDown: () => focus(index + 1), j: () => focus(index + 1),
      ArrowUp: () => focus(index - 1), k: () => focus(index - 1),
      Home: () => focus(0), End: () => focus(rows.length - 1),
      Enter: () => onOpen(index),
      ' ': () => onToggle?.(index),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };
}
