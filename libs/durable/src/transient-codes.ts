import { status } from '@jobmesh/grpc-kit';

/**
 * Codes of a failed persistence call that may succeed when tried again (the service restarting
 * or overloaded): an execution that gets one abandons itself, and another claim replays it.
 */
export const transientCodes = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.ABORTED, status.CANCELLED];
