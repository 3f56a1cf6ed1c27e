import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canTransition } from './vm-transitions.ts';
import { vmIdFromKey } from './vm-id-from-key.ts';

const test = suite('vm ids and transitions');

test('the same key always gives the same UUIDv5; different keys differ', () => {
  const id = vmIdFromKey('workflow-1/step-2');
  assert.is(id, vmIdFromKey('workflow-1/step-2'));
  assert.is.not(id, vmIdFromKey('workflow-1/step-3'));
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('DESTROYED is final; a stopped VM may start again', () => {
  assert.not.ok(canTransition('DESTROYED', 'STARTING'));
  assert.ok(canTransition('STOPPED', 'STARTING'));
  assert.not.ok(canTransition('PREPARED', 'READY'));
  assert.ok(canTransition('EXECUTING', 'READY'));
});

test.run();
