/**
 * Pipelines: the DAG drawn as a graph with each job's state, retry and approve. A placeholder
 * until the public API serves pipelines; its routes go beside the others in
 * server/create-console-server.ts and its page here.
 */
export function PipelinesPage() {
  return (
    <main class="page narrow" id="main">
      <h1>Pipelines</h1>
      <p>Pipelines (several jobs as a graph, with retry and approval) are not in this orchestrator's public API yet.</p>
      <p>When they are, this page draws each pipeline's graph with the state of every job in it.</p>
    </main>
  );
}
