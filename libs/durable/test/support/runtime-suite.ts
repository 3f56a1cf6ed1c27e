import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import type { WorkflowRuntime } from '../../src/index.ts';

/** What every durable runtime test sees: a real persistence service and the runtimes it started. */
export interface RuntimeSuiteContext {
  p: TestPersistence;
  runtimes: WorkflowRuntime[];
}

export const logger = createLogger('durable-test', { level: 'error' });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let names = 0;
/** A workflow name no other test process uses (they share one Postgres). */
export const uniqueName = (base: string) => `test.${base}.${process.pid}.${names++}`;

/** A uvu suite with persistence started before and every runtime killed after. */
export function runtimeSuite(title: string) {
  const test = suite<RuntimeSuiteContext>(title);
  test.before(async (ctx) => {
    ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
    ctx.runtimes = [];
  });
  test.after(async (ctx) => {
    for (const r of ctx.runtimes ?? []) r.kill();
    await ctx.p?.stop();
  });
  return test;
}
