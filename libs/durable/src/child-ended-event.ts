/**
 * The event persistence raises on a parent workflow, in the same transaction as the child's
 * CompleteWorkflow, when one of its child workflows ends (once per child; not when the parent
 * has ended): `await ctx.waitForEvent<ChildEndedPayload>(childEndedEvent)`.
 */
export const childEndedEvent = 'durable.child-ended';

/** The payload of `childEndedEvent`. */
export type ChildEndedPayload = {
  /** Id of the child workflow. */
  childId: string;
  /** Registered name of the child workflow. */
  name: string;
  /** How it ended. */
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  /** Its error, for the statuses other than succeeded; null when none. */
  error: string | null;
};
