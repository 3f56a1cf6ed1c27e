import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { sql } from 'slonik';
import { z } from 'zod';
import { jobStepKinds, jobStepStates } from '../validation/enum-codecs.ts';

/** A row of `job_steps` (times as dates; also parsed from its jsonb form, where they are text). */
export const JobStepRow = z.object({
  index: z.number(),
  name: z.string(),
  kind: z.string(),
  state: z.string(),
  exit_code: z.number().nullable(),
  started_at: z.coerce.date().nullable(),
  finished_at: z.coerce.date().nullable(),
  start_seq: z.number().nullable(),
  start_offset: z.number().nullable(),
  end_seq: z.number().nullable(),
  end_offset: z.number().nullable(),
  err_start_seq: z.number().nullable(),
  err_start_offset: z.number().nullable(),
  err_end_seq: z.number().nullable(),
  err_end_offset: z.number().nullable(),
});
export type JobStepRow = z.infer<typeof JobStepRow>;

/** Columns selected for a JobStepRow from `job_steps` (alias `s`). */
export const jobStepColumns = sql.fragment`s.index, s.name, s.kind, s.state, s.exit_code, s.started_at, s.finished_at,
  s.start_seq, s.start_offset, s.end_seq, s.end_offset, s.err_start_seq, s.err_start_offset, s.err_end_seq, s.err_end_offset`;

/** The proto JobStep of a row (no approval, no prompt: those belong to a pipeline's block steps). */
export function toProtoJobStep(row: JobStepRow): JobStep {
  return {
    index: row.index,
    name: row.name,
    kind: jobStepKinds.fromDb(row.kind),
    state: jobStepStates.fromDb(row.state),
    exitCode: row.exit_code ?? undefined,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    startSeq: row.start_seq ?? 0,
    startOffset: row.start_offset ?? 0,
    endSeq: row.end_seq ?? 0,
    endOffset: row.end_offset ?? 0,
    errStartSeq: row.err_start_seq ?? 0,
    errStartOffset: row.err_start_offset ?? 0,
    errEndSeq: row.err_end_seq ?? 0,
    errEndOffset: row.err_end_offset ?? 0,
    hasStart: row.start_seq !== null,
    hasEnd: row.end_seq !== null,
    hasErrStart: row.err_start_seq !== null,
    hasErrEnd: row.err_end_seq !== null,
    approvedBy: '',
    prompt: '',
  };
}
