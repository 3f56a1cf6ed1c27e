/** One system running the bench's workflows: jobmesh's runtime (through gRPC or in-process), DBOS, or plain SQL. */
export interface WorkflowSide {
  /**
   * Runs `count` workflows with `concurrency` clients, each starting one workflow and waiting for
   * its end before the next. @returns workflows per second and, per step, its latency in ms as the
   * workflow body saw it (the step's run plus its checkpoint)
   * @throws Error when a workflow does not succeed or does not end in time
   */
  run(count: number, concurrency: number): Promise<{ perSec: number; stepMs: number[] }>;
  stop(): Promise<void>;
}
