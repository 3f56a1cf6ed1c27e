/** Durable names: stable strings recorded in persistence. Renaming one breaks replay of running workflows. */
export const workflowNames = {
  runJob: 'jobmesh.orchestrator/run-job',
  runPipeline: 'jobmesh.orchestrator/run-pipeline',
} as const;

/** The event name a pipeline's workflow waits on: job endings, approvals, cancellation. */
export const pipelineEventName = 'pipeline';

/**
 * Step names of run-job (step layout 3, every workflow started now), in the order they run.
 * A step that was only a state write went into its neighbour: QUEUED → PREPARING into take-slot,
 * PREPARING → RUNNING into vm.exec (sent as the script starts; layout 2: at the end of vm.boot),
 * RUNNING → COLLECTING into vm.collect-outputs; the checkout goes into vm.boot (with Prepare, Start
 * and WaitReady) unless the job needs artifacts of others (then fs.prepare-workspace and
 * fs.fetch-needs come first, as in layout 2); the VM and the workspace are removed in one clean-up
 * step; job.finish's checkpoint goes with CompleteWorkflow. A no-op job writes 4 checkpoints
 * (layout 1: 11, layout 2: 5).
 */
export const runJobSteps = {
  acquireGroup: 'schedule.acquire-group',
  takeSlot: 'schedule.take-slot',
  prepareWorkspace: 'fs.prepare-workspace',
  fetchNeeds: 'fs.fetch-needs',
  boot: 'vm.boot',
  exec: 'vm.exec',
  collectOutputs: 'vm.collect-outputs',
  collectArtifacts: 'fs.collect-artifacts',
  recordArtifacts: 'job.record-artifacts',
  cleanUp: 'job.clean-up',
  releaseGroup: 'schedule.release-group',
  finish: 'job.finish',
} as const;

/**
 * Step names only run-job workflows recorded with step layout 1 (input without `stepLayout`,
 * started before layout 2) take: such a workflow still replays with them, and runs its
 * remaining steps as it started (with the names of runJobSteps it shares).
 */
export const legacyRunJobSteps = {
  acquireSlot: 'schedule.acquire-slot',
  markPreparing: 'job.mark-preparing',
  prepareVm: 'vm.prepare',
  startVm: 'vm.start',
  waitReady: 'vm.wait-ready',
  markRunning: 'job.mark-running',
  markCollecting: 'job.mark-collecting',
  destroyVm: 'vm.destroy',
  removeWorkspace: 'fs.remove-workspace',
} as const;

/** Step names of run-pipeline. */
export const runPipelineSteps = {
  begin: 'pipeline.begin',
  advance: 'pipeline.advance',
  cancelJobs: 'pipeline.cancel-jobs',
  finish: 'pipeline.finish',
} as const;
