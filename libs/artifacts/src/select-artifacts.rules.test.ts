import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listingRoots, selectArtifacts } from './select-artifacts.ts';

const files = ['out/a.txt', 'out/sub/b.bin', 'out/.hidden', 'outside.txt', 'dist/x.tgz', 'dist/deep/y.tgz', '.git/config', 'out/.git/HEAD', 'log/run.log'];

test('a tree pattern brings everything under its folder, dotfiles too, never .git', () => {
  assert.equal(selectArtifacts(files, ['out/**']), { selected: ['out/.hidden', 'out/a.txt', 'out/sub/b.bin'], unmatched: [] });
});

test('a directory name brings its tree; a file glob stays in its folder', () => {
  assert.equal(selectArtifacts(files, ['out']).selected, ['out/.hidden', 'out/a.txt', 'out/sub/b.bin']);
  assert.equal(selectArtifacts(files, ['dist/*.tgz']).selected, ['dist/x.tgz']);
  assert.equal(selectArtifacts(files, ['**/*.tgz']).selected, ['dist/deep/y.tgz', 'dist/x.tgz']);
});

test('patterns that select nothing are reported in order', () => {
  assert.equal(selectArtifacts(files, ['missing/**', 'log/*.log', 'nope.txt']), { selected: ['log/run.log'], unmatched: ['missing/**', 'nope.txt'] });
});

test('listing roots: the fixed leading folders, nested ones dropped', () => {
  assert.equal(listingRoots(['out/**', 'out/sub/*.bin', 'dist/*.tgz']), ['dist', 'out']);
  assert.equal(listingRoots(['*.log', 'out/**']), ['.']);
  assert.equal(listingRoots(['report.xml']), ['.']);
  assert.equal(listingRoots(['build/report.xml']), ['build']);
});

test.run();
