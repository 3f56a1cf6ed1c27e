/** Durable names: stable strings recorded in persistence. Renaming one breaks replay of running workflows. */
export const workflowNames = {
  runJob: 'jobmesh.orchestrator/run-job',
  runPipeline: 'jobmesh.orchestrator/run-pipeline',
} as const;

/** The event name a pipeline's workflow waits on: job endings, approvals, cancellation. */
export const pipelineEventName = 'pipeline';

/** Step names of run-job, in the order they run. */
export const runJobSteps = {
  acquireGroup: 'schedule.acquire-group',
  acquireSlot: 'schedule.acquire-slot',
  markPreparing: 'job.mark-preparing',
  prepareWorkspace: 'fs.prepare-workspace',
  fetchNeeds: 'fs.fetch-needs',
  prepareVm: 'vm.prepare',
  startVm: 'vm.start',
  waitReady: 'vm.wait-ready',
  markRunning: 'job.mark-running',
  exec: 'vm.exec',
  markCollecting: 'job.mark-collecting',
  collectOutputs: 'vm.collect-outputs',
  collectArtifacts: 'fs.collect-artifacts',
  recordArtifacts: 'job.record-artifacts',
  destroyVm: 'vm.destroy',
  removeWorkspace: 'fs.remove-workspace',
  releaseGroup: 'schedule.release-group',
  finish: 'job.finish',
} as const;

/** Step names of run-pipeline. */
export const runPipelineSteps = {
  begin: 'pipeline.begin',
  advance: 'pipeline.advance',
  cancelJobs: 'pipeline.cancel-jobs',
  finish: 'pipeline.finish',
} as const;
