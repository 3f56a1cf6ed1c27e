/** What the layout needs of a node: its key and the keys it needs (edges point from a need to the node). */
export interface GraphNode { key: string; needs: string[] }

/** Sizes of the drawing, in px. */
export interface GraphSizes { nodeWidth: number; nodeHeight: number; columnGap: number; rowGap: number; margin: number }

/** A node placed: its column (level), its place in the column and its top-left corner. */
export interface PlacedNode<N> { node: N; level: number; row: number; x: number; y: number }

/** An edge from a need to the node needing it, as an SVG path. */
export interface PlacedEdge { from: string; to: string; path: string }

/** The graph laid out: nodes in plan order, edges, and the drawing's size. */
export interface GraphLayout<N> { nodes: Array<PlacedNode<N>>; edges: PlacedEdge[]; width: number; height: number }

/** @default 200 × 64 nodes, 64 px between columns, 14 px between rows, 8 px margin */
export const defaultGraphSizes: GraphSizes = { nodeWidth: 200, nodeHeight: 64, columnGap: 64, rowGap: 14, margin: 8 };

/** Each node's level: 0 without needs, else one more than its deepest need (a need that is not in the graph, or a cycle, counts as none). */
function levelsOf(nodes: GraphNode[]): Map<string, number> {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (key: string): number => {
    const known = levels.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return -1;
    visiting.add(key);
    const needs = byKey.get(key)!.needs.filter((need) => byKey.has(need));
    const value = needs.length ? 1 + Math.max(...needs.map(level)) : 0;
    visiting.delete(key);
    levels.set(key, value);
    return value;
  };
  for (const node of nodes) level(node.key);
  return levels;
}

/**
 * A layered drawing of a DAG, left to right: each node in the column of its level (longest path
 * of `needs` from a node without needs), columns ordered to keep edges short (each node placed by
 * the mean row of the nodes it needs, ties in plan order: one sweep, enough for CI graphs of tens
 * of jobs), each column centred on the tallest; edges are curves from a need's right side to the
 * needing node's left side.
 */
export function layoutGraph<N extends GraphNode>(nodes: N[], sizes: GraphSizes = defaultGraphSizes): GraphLayout<N> {
  const levels = levelsOf(nodes);
  const plan = new Map(nodes.map((n, i) => [n.key, i]));
  const columns: N[][] = [];
  for (const node of nodes) (columns[levels.get(node.key)!] ??= []).push(node);
  const rows = new Map<string, number>();
  for (const column of columns) {
    if (!column) continue;
    const weight = (node: N) => {
      const placed = node.needs.map((need) => rows.get(need)).filter((row): row is number => row !== undefined);
      return placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : plan.get(node.key)!;
    };
    const weights = new Map(column.map((node) => [node.key, weight(node)]));
    column.sort((a, b) => weights.get(a.key)! - weights.get(b.key)! || plan.get(a.key)! - plan.get(b.key)!);
    column.forEach((node, row) => rows.set(node.key, row));
  }
  const tallest = Math.max(0, ...columns.map((c) => c?.length ?? 0));
  const pitchX = sizes.nodeWidth + sizes.columnGap;
  const pitchY = sizes.nodeHeight + sizes.rowGap;
  const placed = new Map<string, PlacedNode<N>>();
  columns.forEach((column, level) => column?.forEach((node, row) => {
    const offset = ((tallest - column.length) * pitchY) / 2;
    placed.set(node.key, { node, level, row, x: sizes.margin + level * pitchX, y: sizes.margin + offset + row * pitchY });
  }));
  const edges: PlacedEdge[] = [];
  for (const node of nodes) {
    const to = placed.get(node.key)!;
    for (const need of node.needs) {
      const from = placed.get(need);
      if (!from) continue;
      const [x1, y1, x2, y2] = [from.x + sizes.nodeWidth, from.y + sizes.nodeHeight / 2, to.x, to.y + sizes.nodeHeight / 2];
      const bend = Math.max(sizes.columnGap / 2, (x2 - x1) / 3);
      edges.push({ from: need, to: node.key, path: `M${x1} ${y1} C${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}` });
    }
  }
  return {
    nodes: nodes.map((n) => placed.get(n.key)!),
    edges,
    width: 2 * sizes.margin + Math.max(0, columns.length * pitchX - sizes.columnGap),
    height: 2 * sizes.margin + Math.max(0, tallest * pitchY - sizes.rowGap),
  };
}
