import { isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { checkMatrixExpressions } from './check-matrix-expressions.ts';
import { checkNeeds } from './check-needs.ts';
import { expandJob } from './expand-job.ts';
import { isMapping } from './is-mapping.ts';
import { manifestLimits } from './manifest-limits.ts';
import { manifestProblem, type ManifestResult } from './manifest-problem.ts';
import { manifestSchema } from './manifest-schema.ts';
import { combinationCount } from './matrix-combinations.ts';
import { orderPlan } from './order-plan.ts';
import { parseJob } from './parse-job.ts';
import { createProblemList } from './problem-list.ts';
import { reportIssues } from './report-issues.ts';
import { createYamlLocator } from './yaml-locator.ts';

/**
 * Reads a `.jobmesh.yml` manifest and expands it into a plan. Never throws on a bad manifest:
 * every problem found is returned at once, each with its path and line.
 */
export function parsePipelineManifest(source: string): ManifestResult {
  if (Buffer.byteLength(source, 'utf8') > manifestLimits.maxBytes) {
    return { ok: false, problems: [manifestProblem('(root)', 1, `the manifest is larger than ${manifestLimits.maxBytes} bytes`)] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  const syntax = [...doc.errors, ...doc.warnings].map((error) => manifestProblem('(yaml)', lineCounter.linePos(error.pos[0]).line, error.message));
  // A plain object would take `__proto__` as its prototype and the key would vanish unseen.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '__proto__') syntax.push(manifestProblem('(yaml)', lineCounter.linePos(pair.key.range?.[0] ?? 0).line, 'the key __proto__ is not allowed'));
    },
  });
  if (syntax.length > 0) return { ok: false, problems: syntax };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [manifestProblem('(yaml)', 1, error instanceof Error ? error.message : String(error))] };
  }

  const locator = createYamlLocator(doc, lineCounter);
  const problems = createProblemList(locator.lineOf);
  const top = manifestSchema.safeParse(raw, { reportInput: true });
  if (!top.success) reportIssues(top.error.issues, [], problems);
  const rawJobs = isMapping(raw) && isMapping(raw.jobs) ? raw.jobs : {};
  const ids = locator.keysAt(['jobs']).filter((id) => Object.hasOwn(rawJobs, id));
  if (ids.length > manifestLimits.maxJobs) return { ok: false, problems: problems.sorted() };

  const jobs = ids.map((id) => parseJob(id, rawJobs[id], problems));
  for (const job of jobs) {
    const { env, secret_env: secretEnv, matrix } = job.fields;
    secretEnv?.forEach((name, i) => {
      if (env && Object.hasOwn(env, name)) problems.add(['jobs', job.id, 'secret_env', i], `${name} is also set in env`);
    });
    if (!job.invalid.has('matrix')) checkMatrixExpressions(job.raw, ['jobs', job.id], matrix ? Object.keys(matrix) : null, problems);
    const count = combinationCount(matrix);
    if (count > manifestLimits.maxCombinationsPerJob) problems.add(['jobs', job.id, 'matrix'], `expands into ${count} jobs, more than ${manifestLimits.maxCombinationsPerJob} for one job`);
  }
  checkNeeds(jobs.map((job) => ({ id: job.id, needs: job.fields.needs })), problems);
  const total = jobs.reduce((sum, job) => sum + combinationCount(job.fields.matrix), 0);
  if (total > manifestLimits.maxJobs) {
    problems.add(['jobs'], `the pipeline expands into ${total} jobs, more than ${manifestLimits.maxJobs} for the whole pipeline`);
    return { ok: false, problems: problems.sorted() };
  }

  const expanded = jobs.flatMap((job) => (job.spec ? [{ id: job.id, needs: job.spec.needs ?? [], plans: expandJob(job.id, job.spec, locator, problems) }] : []));
  const owners = new Map<string, string>();
  for (const { plans } of expanded) {
    for (const plan of plans) {
      const owner = owners.get(plan.key);
      if (owner !== undefined) problems.add(['jobs', plan.id, ...(Object.keys(plan.matrix).length ? ['matrix'] : [])], `key ${plan.key} of ${plan.name} is also the key of ${owner}`);
      else owners.set(plan.key, plan.name);
    }
  }
  if (problems.size > 0) return { ok: false, problems: problems.sorted() };
  return { ok: true, plan: orderPlan(expanded) };
}
