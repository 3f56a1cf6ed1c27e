import { isMapping } from './is-mapping.ts';
import { jobSchema, type JobSpec } from './job-schema.ts';
import type { ProblemList } from './problem-list.ts';
import { reportIssues } from './report-issues.ts';
import type { PathSegment } from './yaml-locator.ts';

/** A job as far as it could be read: `spec` when all of it is valid, else each valid field alone. */
export interface ParsedJob {
  id: string;
  raw: unknown;
  spec: JobSpec | null;
  /** The fields that are valid on their own, so that checks across fields still run on a job with mistakes. */
  fields: Partial<JobSpec>;
  /** Fields present but invalid: checks that depend on them are skipped. */
  invalid: Set<keyof JobSpec>;
}

/** Parses one job's body, adding its problems under `jobs.<id>`. */
export function parseJob(id: string, raw: unknown, problems: ProblemList): ParsedJob {
  const path: PathSegment[] = ['jobs', id];
  const result = jobSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { id, raw, spec: result.data, fields: result.data, invalid: new Set() };
  reportIssues(result.error.issues, path, problems);
  const fields: Record<string, unknown> = {};
  const invalid = new Set<keyof JobSpec>();
  const body = isMapping(raw) ? raw : {};
  for (const [key, schema] of Object.entries(jobSchema.shape) as Array<[keyof JobSpec, (typeof jobSchema.shape)[keyof JobSpec]]>) {
    if (!Object.hasOwn(body, key)) continue;
    const field = schema.safeParse(body[key]);
    if (field.success) fields[key] = field.data;
    else invalid.add(key);
  }
  return { id, raw, spec: null, fields: fields as Partial<JobSpec>, invalid };
}
