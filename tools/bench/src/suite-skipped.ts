/**
 * Thrown by a suite that cannot run on this machine (no qemu, a baseline that will not
 * install): the run records why and goes on, and the exit code stays 0.
 */
export class SuiteSkipped extends Error {
  override name = 'SuiteSkipped';
}
