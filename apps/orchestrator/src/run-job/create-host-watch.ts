import { failedPrecondition, isMeshError, status } from '@jobmesh/grpc-kit';

/** Tells a VM host that restarts from one that is gone, for the steps of one job. */
export interface HostWatch {
  /**
   * Runs a call bound to a host (its vm-runner or the fsops sharing its workspace root). An
   * unreachable host (UNAVAILABLE) is thrown as it is, so the step retries, until the host has
   * been unreachable for `lostAfterMs` since the first such answer: then HOST_LOST, which a step
   * does not retry. Any answer from the host ends the trouble.
   * @throws FAILED_PRECONDITION HOST_LOST
   */
  guard<T>(host: string, call: () => Promise<T>): Promise<T>;
  /** True once a call bound to `host` failed with HOST_LOST. */
  lost(host: string): boolean;
}

/** A watch for one execution of a job's workflow (a replay starts a new one: the host gets its time again). */
export function createHostWatch(lostAfterMs: number, now: () => number = Date.now): HostWatch {
  const troubleSince = new Map<string, number>();
  const gone = new Set<string>();
  return {
    async guard(host, call) {
      if (gone.has(host)) throw failedPrecondition('HOST_LOST', `the VM host of ${host} was lost earlier in this job; not calling it again`);
      try {
        const result = await call();
        troubleSince.delete(host);
        return result;
      } catch (error) {
        // UNAVAILABLE from the host itself; a log that could not be written is persistence's trouble.
        if (!isMeshError(error, status.UNAVAILABLE) || error.reason === 'LOG_WRITE_FAILED') {
          // An answer, even a refusal, shows the host is there.
          if (isMeshError(error) && !isMeshError(error, status.UNAVAILABLE)) troubleSince.delete(host);
          throw error;
        }
        const since = troubleSince.get(host) ?? now();
        troubleSince.set(host, since);
        const away = now() - since;
        if (away < lostAfterMs) throw error;
        gone.add(host);
        throw failedPrecondition('HOST_LOST', `the VM host of ${host} has been unreachable for ${Math.round(away / 1000)} s (JOBMESH_HOST_LOST_AFTER_MS ${lostAfterMs}): ${error.message}`);
      }
    },
    lost: (host) => gone.has(host),
  };
}
