/**
 * Starts the line a test prints when it skips itself at run time (see `skipTest`). The runner
 * counts such lines, moves that many tests from passed to skipped, and shows their reasons.
 */
export const skipMarker = '[jobmesh-test-skip]';
