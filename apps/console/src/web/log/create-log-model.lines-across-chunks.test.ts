import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogChunkView } from '../../shared/api-types.ts';
import { createLogModel } from './create-log-model.ts';

const text = (model: ReturnType<typeof createLogModel>) => model.lines.map((l) => `${l.stream}:${l.segments.map((s) => s.text).join('')}`);
const chunk = (offset: number, body: string, stream: LogChunkView['stream'] = 'stdout'): LogChunkView => ({ offset, stream, text: body });

test('live chunks continue an open line and start new ones; a chunk ending in a newline leaves none open', () => {
  const model = createLogModel();
  model.reset([chunk(0, 'a\nb')], 1);
  assert.ok(model.append(chunk(1, 'c\nd\n')));
  assert.ok(model.append(chunk(2, 'oops\n', 'stderr')));
  assert.equal(text(model), ['stdout:a', 'stdout:bc', 'stdout:d', 'stderr:oops']);
  assert.is(model.nextOffset, 3);
  assert.is(model.open, false);
});

test('a repeated chunk is ignored and a gap is reported (the caller reloads the tail)', () => {
  const model = createLogModel();
  model.reset([chunk(4, 'x\n')], 5);
  assert.ok(model.append(chunk(4, 'x\n')));
  assert.is(model.append(chunk(7, 'y\n')), false);
  assert.equal(text(model), ['stdout:x']);
});

test('an earlier page goes in front, joining its open last line with the first one', () => {
  const model = createLogModel();
  model.reset([chunk(2, 'lo world\nend\n')], 3);
  const added = model.prepend([chunk(0, 'first\n'), chunk(1, 'hel')]);
  assert.is(added, 1);
  assert.equal(text(model), ['stdout:first', 'stdout:hello world', 'stdout:end']);
  assert.is(model.firstOffset, 0);
  assert.is(model.prepend([chunk(1, 'hel')]), 0, 'chunks already loaded are not added twice');
});

test('section headers are listed with their lines, also after a page is put in front', () => {
  const model = createLogModel();
  model.reset([chunk(1, '--- Build\nmake\n::group::Test\nok\n')], 2);
  assert.equal(model.sections, [{ line: 0, title: 'Build' }, { line: 2, title: 'Test' }]);
  model.prepend([chunk(0, '+++ Setup\n')]);
  assert.equal(model.sections.map((s) => [s.line, s.title]), [[0, 'Setup'], [1, 'Build'], [3, 'Test']]);
  model.append(chunk(2, '~~~ Deploy\n'));
  assert.equal(model.sections.at(-1), { line: 5, title: 'Deploy' });
});

test.run();
