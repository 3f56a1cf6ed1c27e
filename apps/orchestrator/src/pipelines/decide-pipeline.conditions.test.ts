import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decidePipeline } from './decide-pipeline.ts';
import type { PipelineJobSpec } from './pipeline-job-spec.ts';
import type { PipelineJobStatus, TrackedJob } from './pipeline-job-state.ts';

const spec = (key: string, needs: string[], condition: PipelineJobSpec['if'] = 'success', block = false): PipelineJobSpec => ({
  key, manifestId: key, name: key, matrix: {}, runsOn: 'local', needs, if: condition,
  steps: [...(block ? [{ index: 0, kind: 'block' as const, name: 'ok?', prompt: 'ok?' }] : []), { index: block ? 1 : 0, kind: 'run' as const, name: 'run', run: 'true' }],
  env: {}, secretEnv: [], artifactPaths: [], artifactWhen: 'on_success', timeoutMs: 1000, retry: 0, concurrency: '',
});
const tracked = (states: Record<string, PipelineJobStatus>) => new Map<string, TrackedJob>(Object.entries(states).map(([k, status]) => [k, { status, reason: '', jobRequestId: '', runs: 0, earlierRuns: 0 }]));
const none = { approvals: new Map<string, Set<number>>(), cancelled: false };

const plan = [spec('build', []), spec('ok', ['build']), spec('on-failure', ['build'], 'failure'), spec('always', ['build'], 'always'), spec('after-ok', ['ok'])];

test('while a need runs nothing after it starts; roots start at once', () => {
  const d = decidePipeline(plan, tracked({ build: 'pending', ok: 'pending', 'on-failure': 'pending', always: 'pending', 'after-ok': 'pending' }), none);
  assert.equal(d, { start: ['build'], changes: [] });
});

test('a failed need: success() skips (and its dependents in the same pass), failure() and always() run', () => {
  const d = decidePipeline(plan, tracked({ build: 'failed', ok: 'pending', 'on-failure': 'pending', always: 'pending', 'after-ok': 'pending' }), none);
  assert.equal(d.start, ['on-failure', 'always']);
  assert.equal(d.changes, [{ key: 'ok', status: 'skipped', reason: 'needs build (failed)' }, { key: 'after-ok', status: 'skipped', reason: 'needs ok (skipped)' }]);
});

test('a succeeded need: success() and always() run, failure() is skipped', () => {
  const d = decidePipeline(plan, tracked({ build: 'succeeded', ok: 'pending', 'on-failure': 'pending', always: 'pending', 'after-ok': 'pending' }), none);
  assert.equal(d.start, ['ok', 'always']);
  assert.equal(d.changes, [{ key: 'on-failure', status: 'skipped', reason: 'if: failure() and no need failed' }]);
});

test('a job with a block step waits (once marked blocked) until it is approved', () => {
  const gated = [spec('build', []), spec('deploy', ['build'], 'success', true)];
  const first = decidePipeline(gated, tracked({ build: 'succeeded', deploy: 'pending' }), none);
  assert.equal(first, { start: [], changes: [{ key: 'deploy', status: 'blocked', reason: 'waits for approval of "ok?"' }] });
  assert.equal(decidePipeline(gated, tracked({ build: 'succeeded', deploy: 'blocked' }), none), { start: [], changes: [] });
  const approved = decidePipeline(gated, tracked({ build: 'succeeded', deploy: 'blocked' }), { approvals: new Map([['deploy', new Set([0])]]), cancelled: false });
  assert.equal(approved.start, ['deploy']);
});

test('after a cancellation nothing starts and every waiting job is cancelled', () => {
  const d = decidePipeline(plan, tracked({ build: 'running', ok: 'pending', 'on-failure': 'pending', always: 'pending', 'after-ok': 'blocked' }), { ...none, cancelled: true });
  assert.equal(d.start, []);
  assert.equal(d.changes.map((c) => [c.key, c.status]), [['ok', 'cancelled'], ['on-failure', 'cancelled'], ['always', 'cancelled'], ['after-ok', 'cancelled']]);
});

test.run();
