import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layoutGraph, type GraphSizes } from './layout-graph.ts';

const sizes: GraphSizes = { nodeWidth: 100, nodeHeight: 40, columnGap: 20, rowGap: 10, margin: 5 };
const node = (key: string, ...needs: string[]) => ({ key, needs });

test('a node sits one column right of its deepest need; columns are centred on the tallest', () => {
  const layout = layoutGraph([node('build-a'), node('build-b'), node('lint'), node('test', 'build-a', 'build-b'), node('deploy', 'test', 'lint')], sizes);
  const at = Object.fromEntries(layout.nodes.map((p) => [p.node.key, [p.level, p.row, p.x, p.y]]));
  assert.equal(at, {
    'build-a': [0, 0, 5, 5], 'build-b': [0, 1, 5, 55], lint: [0, 2, 5, 105],
    test: [1, 0, 125, 55], deploy: [2, 0, 245, 55],
  });
  assert.is(layout.width, 5 + 3 * 120 - 20 + 5);
  assert.is(layout.height, 5 + 3 * 50 - 10 + 5);
  assert.equal(layout.edges.map((e) => `${e.from}>${e.to}`), ['build-a>test', 'build-b>test', 'test>deploy', 'lint>deploy']);
  assert.is(layout.edges[0]!.path, 'M105 25 C115 25 115 75 125 75');
});

test('a column is ordered by the rows of what its nodes need, so edges do not cross', () => {
  const layout = layoutGraph([node('a'), node('b'), node('after-b', 'b'), node('after-a', 'a')], sizes);
  const rows = Object.fromEntries(layout.nodes.map((p) => [p.node.key, p.row]));
  assert.equal(rows, { a: 0, b: 1, 'after-b': 1, 'after-a': 0 });
});

test('unknown needs and cycles do not hang or throw; an empty graph is empty', () => {
  const layout = layoutGraph([node('x', 'nowhere'), node('p', 'q'), node('q', 'p')], sizes);
  assert.is(layout.nodes.length, 3);
  assert.is(layout.nodes[0]!.level, 0);
  assert.equal(layoutGraph([], sizes), { nodes: [], edges: [], width: 10, height: 10 });
});

test.run();
