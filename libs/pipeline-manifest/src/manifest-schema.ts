import { z } from 'zod';
import { manifestLimits } from './manifest-limits.ts';

/** Job ids: what `needs` names and what planned job keys start with. */
export const jobIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The top level of a manifest; each job's body is checked on its own by `jobSchema`. */
export const manifestSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }).optional(),
  jobs: z.record(z.string().regex(jobIdPattern, 'job ids must be 1 to 64 of [A-Za-z0-9_-]'), z.unknown()).superRefine((jobs, ctx) => {
    const count = Object.keys(jobs).length;
    if (count === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one job', input: jobs });
    if (count > manifestLimits.maxJobs) ctx.addIssue({ code: 'custom', message: `holds ${count} jobs, more than ${manifestLimits.maxJobs}`, input: jobs });
  }),
});
