import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAnsiParser } from './parse-ansi.ts';

test('SGR colours become classes and carry over to the next line until reset', () => {
  const parser = createAnsiParser();
  const first = parser.parseLine('plain \x1b[1;31mred bold');
  assert.equal(first.map((s) => [s.text, s.classes]), [['plain ', ''], ['red bold', 'fg1 b']]);
  const second = parser.parseLine('still red\x1b[0m done');
  assert.equal(second.map((s) => [s.text, s.classes]), [['still red', 'fg1 b'], [' done', '']]);
});

test('bright, background, 256 and true colours', () => {
  const parser = createAnsiParser();
  const [bright] = parser.parseLine('\x1b[92;44mx');
  assert.is(bright!.classes, 'fg10 bg4');
  const [indexed] = parser.parseLine('\x1b[0;38;5;196my');
  assert.is(indexed!.color, 'rgb(255,0,0)');
  const [grey] = parser.parseLine('\x1b[0;48;5;232mz');
  assert.is(grey!.background, 'rgb(8,8,8)');
  const [rgb] = parser.parseLine('\x1b[0;38;2;1;2;3mw');
  assert.is(rgb!.color, 'rgb(1,2,3)');
});

test('other escape sequences are dropped; a carriage return keeps what was written last; text stays text', () => {
  const parser = createAnsiParser();
  assert.equal(parser.parseLine('\x1b[2K\x1b]0;title\x07<b>&amp;</b>').map((s) => s.text), ['<b>&amp;</b>']);
  assert.equal(parser.parseLine('10%\r50%\r100%').map((s) => s.text), ['100%']);
  assert.equal(parser.parseLine('windows line\r').map((s) => s.text), ['windows line']);
  assert.equal(parser.parseLine('').map((s) => s.text), ['']);
});

test.run();
