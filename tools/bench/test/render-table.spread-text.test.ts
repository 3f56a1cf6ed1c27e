import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { figure } from '../src/compare.ts';
import { describeFigure } from '../src/render-table.ts';

test('readings that differ: the median and ± half their spread', () => {
  assert.is(describeFigure(figure('x', 'MiB', [90, 100, 110])), '100 MiB ±10%');
});

test('readings that all came out the same say so, not "±0%"', () => {
  assert.is(describeFigure(figure('x', 'MiB', [127, 127, 127, 127, 127])), '127 MiB (5 readings, all the same)');
});

test('one reading has no spread to show', () => {
  assert.is(describeFigure(figure('x', 'ms', [42], [1, 2, 3])), '42 ms (one reading) (p50 2 / p99 3 ms)');
});

test.run();
