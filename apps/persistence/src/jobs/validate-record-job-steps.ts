import type { RecordJobStepsRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { jobStepKinds, jobStepStates } from '../validation/enum-codecs.ts';
import { stepNameRules } from '../validation/field-rules.ts';
import { optionalDate, requireInteger, requireText, requireUuid } from '../validation/fields.ts';
import type { NewJobStep } from './job-step-queries.ts';

/** Most steps in one RecordJobSteps call. */
export const maxStepsPerCall = 100;
const int32Max = 2_147_483_647;

/**
 * A log boundary (seq, offset) counts when its `has_*` flag is set: without it, it must be unset (0, 0).
 * @throws INVALID_ARGUMENT naming the flag or the field
 */
function boundary(flagField: string, has: boolean, seq: number, offset: number, seqField: string, offsetField: string) {
  if (!has) {
    if (seq !== 0 || offset !== 0) throw invalidArgument(flagField, `must be true with ${seqField} and ${offsetField}`);
    return { seq: null, offset: null };
  }
  return { seq: requireInteger(seqField, seq, 0, Number.MAX_SAFE_INTEGER), offset: requireInteger(offsetField, offset, 0, int32Max) };
}

/**
 * Checks a RecordJobSteps request: the job id, 1 to 100 steps with distinct indexes, each with a
 * name and a kind; an unset state changes nothing (a new step starts PENDING).
 * @throws MeshError INVALID_ARGUMENT naming the field
 */
export function validateRecordJobSteps(request: RecordJobStepsRequest): { requestId: string; steps: NewJobStep[] } {
  const requestId = requireUuid('request_id', request.requestId);
  if (request.steps.length < 1 || request.steps.length > maxStepsPerCall) {
    throw invalidArgument('steps', `must hold 1 to ${maxStepsPerCall} steps, got ${request.steps.length}`);
  }
  const seen = new Set<number>();
  const steps = request.steps.map((step, i): NewJobStep => {
    const field = (name: string) => `steps[${i}].${name}`;
    const index = requireInteger(field('index'), step.index, 0, 9999);
    if (seen.has(index)) throw invalidArgument(field('index'), `repeats step ${index}`);
    seen.add(index);
    const startedAt = optionalDate(field('started_at'), step.startedAt);
    const finishedAt = optionalDate(field('finished_at'), step.finishedAt);
    const start = boundary(field('has_start'), step.hasStart, step.startSeq, step.startOffset, field('start_seq'), field('start_offset'));
    const end = boundary(field('has_end'), step.hasEnd, step.endSeq, step.endOffset, field('end_seq'), field('end_offset'));
    const errStart = boundary(field('has_err_start'), step.hasErrStart, step.errStartSeq, step.errStartOffset, field('err_start_seq'), field('err_start_offset'));
    const errEnd = boundary(field('has_err_end'), step.hasErrEnd, step.errEndSeq, step.errEndOffset, field('err_end_seq'), field('err_end_offset'));
    return {
      index,
      name: requireText(field('name'), step.name, stepNameRules),
      kind: jobStepKinds.toDb(field('kind'), step.kind),
      state: jobStepStates.toDbOptional(field('state'), step.state),
      exitCode: step.exitCode === undefined ? null : requireInteger(field('exit_code'), step.exitCode, -int32Max - 1, int32Max),
      startedAt,
      finishedAt,
      startSeq: start.seq,
      startOffset: start.offset,
      endSeq: end.seq,
      endOffset: end.offset,
      errStartSeq: errStart.seq,
      errStartOffset: errStart.offset,
      errEndSeq: errEnd.seq,
      errEndOffset: errEnd.offset,
    };
  });
  return { requestId, steps };
}
