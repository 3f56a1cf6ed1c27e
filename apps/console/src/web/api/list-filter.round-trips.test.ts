import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filterOf, queryOf } from './list-filter.ts';

test('a filter goes into a query string and comes back the same', () => {
  const filter = { states: ['failed', 'running'], label: 'local', repo: 'file:///r x', cursor: 'abc' };
  const query = queryOf(filter);
  assert.is(query, 'state=failed%2Crunning&label=local&repo=file%3A%2F%2F%2Fr+x&cursor=abc');
  assert.equal(filterOf(new URLSearchParams(query), ['label', 'repo']), filter);
});

test('empty values are left out; missing ones read as empty', () => {
  const empty = { states: [], repo: '', cursor: '' };
  assert.is(queryOf(empty), '');
  assert.equal(filterOf(new URLSearchParams('repo=x'), ['repo']), { states: [], repo: 'x', cursor: '' });
});

test.run();
