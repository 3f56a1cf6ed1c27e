import { skipMarker } from './skip-marker.ts';

/**
 * Marks the running uvu test as skipped, for a reason only known at run time (no second
 * filesystem, no qemu). uvu has `test.skip` only when the suite is declared, so this prints a
 * marker line that `npm test` counts as one skip instead of a pass: call it once, in the test
 * itself (not in a hook), as its last act, `if (!crossDevice) return skipTest('no second filesystem');`.
 * Run alone with `npx node <file>`, the test shows as passed and the line says why it did nothing.
 *
 * @param reason - why the test did not run, for the person reading the output.
 */
export function skipTest(reason: string): void {
  // The leading newline puts the marker at the start of a line after uvu's "• " progress marks.
  process.stdout.write(`\n${skipMarker} ${reason.replaceAll('\n', ' ')}\n`);
}
