/** Durable names: stable strings recorded in persistence. Renaming one breaks replay of running workflows. */
export const workflowNames = {
  runJob: 'jobmesh.orchestrator/run-job',
} as const;

/** Step names of run-job, in the order they run. */
export const runJobSteps = {
  acquireSlot: 'schedule.acquire-slot',
  markPreparing: 'job.mark-preparing',
  prepareWorkspace: 'fs.prepare-workspace',
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
  finish: 'job.finish',
} as const;
