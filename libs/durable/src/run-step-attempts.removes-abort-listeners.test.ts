import { unavailable } from '@jobmesh/grpc-kit';
import { getEventListeners } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runStepAttempts } from './run-step-attempts.ts';
import { sleepUnlessAborted } from './sleep-unless-aborted.ts';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

test('many retried steps under one workflow signal leave no abort listener on it', async () => {
  const workflow = new AbortController();
  for (let i = 0; i < 200; i++) {
    let calls = 0;
    const outcome = await runStepAttempts(`w:${i}`, async () => {
      if (++calls < 3) throw unavailable('AWAY', 'try again');
      return calls;
    }, { retry: { maxAttempts: 5, initialIntervalMs: 0, backoff: 'fixed' } }, workflow.signal);
    assert.equal(outcome, { ok: true, value: 3, attempts: 3 });
  }
  assert.is(listeners(workflow.signal), 0);
});

test('polls that each wait on one signal leave no listener; an abort still ends the wait at once', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 500; i++) await sleepUnlessAborted(0, controller.signal);
  assert.is(listeners(controller.signal), 0);
  const started = Date.now();
  const waiting = sleepUnlessAborted(60_000, controller.signal);
  assert.is(listeners(controller.signal), 1);
  controller.abort();
  await waiting;
  assert.ok(Date.now() - started < 1000);
  assert.is(listeners(controller.signal), 0);
});

test.run();
