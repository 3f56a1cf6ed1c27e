/** The icon of each state (decorative: the state's word always goes with it). */
export const stateIcons: Record<string, string> = {
  queued: '◷', preparing: '◔', running: '◑', collecting: '◕', succeeded: '✓', failed: '✕', cancelled: '⊘', timed_out: '⧗',
  pending: '◷', skipped: '↷', blocked: '‖', unspecified: '?', ready: '●', executing: '◑', starting: '◔', prepared: '○', stopping: '◕', stopped: '■', destroyed: '▫',
};

/** A state with its icon; the icon is decorative (aria-hidden) and the word is the text alternative. */
export function StateBadge(props: { state: string }) {
  const word = props.state.replace('_', ' ');
  return (
    <span class={`state state-${props.state}`} title={word}>
      <span class="state-icon" aria-hidden="true">{stateIcons[props.state] ?? '•'}</span>
      <span class="state-word">{word}</span>
    </span>
  );
}
