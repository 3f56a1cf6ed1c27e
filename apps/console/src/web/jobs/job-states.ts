/** Job states a person filters by, in the order the table offers them. */
export const filterableStates = ['queued', 'preparing', 'running', 'collecting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
