import { z } from 'zod';
import { manifestLimits as limits } from './manifest-limits.ts';
import { matrixVariable } from './matrix-combinations.ts';
import { parseDurationMs } from './parse-duration-ms.ts';
import { patternProblem } from './pattern-problem.ts';
import { stepsSchema } from './steps-schema.ts';

const variableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must match [A-Za-z_][A-Za-z0-9_]*')
  .refine((name) => !name.startsWith('JOBMESH_'), 'JOBMESH_* names are reserved for the mesh');

/** Matrix values and env values: numbers and booleans are accepted and become text. */
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' });

const uniqueList = <T extends z.ZodType<string>>(item: T) =>
  z.array(item).superRefine((items, ctx) => {
    items.forEach((value, i) => {
      if (items.indexOf(value) < i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${value}`, input: value });
    });
  });

const between = (what: string, min: number, max: number) => `must hold ${min} to ${max} ${what}`;

const matrix = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'must match [A-Za-z_][A-Za-z0-9_-]{0,63}'),
    z.array(scalar).min(1, between('values', 1, limits.maxMatrixValues)).max(limits.maxMatrixValues, between('values', 1, limits.maxMatrixValues)),
  )
  .superRefine((axes, ctx) => {
    const names = Object.keys(axes);
    if (names.length < 1 || names.length > limits.maxMatrixAxes) ctx.addIssue({ code: 'custom', message: between('axes', 1, limits.maxMatrixAxes), input: axes });
    names.forEach((name, i) => {
      const twin = names.slice(0, i).find((other) => matrixVariable(other) === matrixVariable(name));
      if (twin !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `${matrixVariable(name)} would also be set by axis ${twin}`, input: name });
    });
  });

const timeout = z.union([z.string(), z.number()], { error: 'must be a duration such as 90s, 30m or 2h, or a number of seconds' }).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === null) ctx.issues.push({ code: 'custom', message: 'must be a duration such as 90s, 30m or 2h, or a whole number of seconds', input: value });
  else if (ms < limits.minTimeoutMs || ms > limits.maxTimeoutMs) ctx.issues.push({ code: 'custom', message: 'must be from 1s to 7 days', input: value });
  return ms ?? 0;
});

const pattern = z.string().superRefine((value, ctx) => {
  const problem = patternProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

const retryRange = `must be a whole number from 0 to ${limits.maxRetry}`;

/** One job of `jobs` as written (before matrix expansion). */
export const jobSchema = z.strictObject({
  runs_on: z.string().min(1, 'must not be empty'),
  matrix: matrix.optional(),
  needs: uniqueList(z.string()).optional(),
  if: z.enum(['success()', 'failure()', 'always()'], { error: 'must be success(), failure() or always()' }).optional(),
  env: z.record(variableName, scalar).optional(),
  secret_env: uniqueList(variableName).optional(),
  artifacts: z
    .strictObject({
      paths: z.array(pattern).min(1, between('patterns', 1, limits.maxArtifactPatterns)).max(limits.maxArtifactPatterns, between('patterns', 1, limits.maxArtifactPatterns)),
      when: z.enum(['on_success', 'on_failure', 'always'], { error: 'must be on_success, on_failure or always' }).optional(),
    })
    .optional(),
  timeout: timeout.optional(),
  retry: z.number().int(retryRange).min(0, retryRange).max(limits.maxRetry, retryRange).optional(),
  concurrency: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1 to 128 of [A-Za-z0-9._-]').optional(),
  steps: stepsSchema,
});

/** A job that passed {@link jobSchema}. */
export type JobSpec = z.output<typeof jobSchema>;
