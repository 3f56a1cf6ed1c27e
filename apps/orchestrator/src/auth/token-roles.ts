/** Roles a token can have; each includes the ones before it. */
export const tokenRoles = ['read', 'submit', 'admin'] as const;

/** A role of the public API. */
export type TokenRole = (typeof tokenRoles)[number];

const rank = (role: TokenRole) => tokenRoles.indexOf(role);

/**
 * The role each public RPC needs. read: every query and stream; submit: read
 * plus SubmitJob, SubmitPipeline and RetryPipeline; admin: submit plus CancelJob, CancelPipeline,
 * ApproveStep (of any job: jobs do not record
 * who submitted them yet, so cancelling is kept to admins).
 */
export const methodRoles: Record<string, TokenRole> = {
  '/jobmesh.orchestrator.v1.JobService/GetJob': 'read',
  '/jobmesh.orchestrator.v1.JobService/ListJobs': 'read',
  '/jobmesh.orchestrator.v1.JobService/WatchJob': 'read',
  '/jobmesh.orchestrator.v1.JobService/StreamJobLogs': 'read',
  '/jobmesh.orchestrator.v1.OperationService/GetOperation': 'read',
  '/jobmesh.orchestrator.v1.OperationService/ListOperations': 'read',
  '/jobmesh.orchestrator.v1.VmService/ListVms': 'read',
  '/jobmesh.orchestrator.v1.VmService/GetVmConsole': 'read',
  '/jobmesh.orchestrator.v1.VmService/ListLabels': 'read',
  '/jobmesh.orchestrator.v1.ArtifactService/ListArtifacts': 'read',
  '/jobmesh.orchestrator.v1.ArtifactService/DownloadArtifact': 'read',
  '/jobmesh.orchestrator.v1.PipelineService/GetPipeline': 'read',
  '/jobmesh.orchestrator.v1.PipelineService/ListPipelines': 'read',
  '/jobmesh.orchestrator.v1.PipelineService/WatchPipeline': 'read',
  '/jobmesh.orchestrator.v1.JobService/SubmitJob': 'submit',
  '/jobmesh.orchestrator.v1.PipelineService/SubmitPipeline': 'submit',
  '/jobmesh.orchestrator.v1.PipelineService/RetryPipeline': 'submit',
  '/jobmesh.orchestrator.v1.PipelineService/CancelPipeline': 'admin',
  '/jobmesh.orchestrator.v1.PipelineService/ApproveStep': 'admin',
  '/jobmesh.orchestrator.v1.JobService/CancelJob': 'admin',
  '/jobmesh.orchestrator.v1.AdminService/PruneHistory': 'admin',
};

/**
 * The role `method` needs; a method missing from the table needs admin, so a
 * new RPC is closed until someone decides who may call it.
 */
export function requiredRole(method: string): TokenRole {
  return methodRoles[method] ?? 'admin';
}

/** True when `held` is `needed` or includes it. */
export function roleAllows(held: TokenRole, needed: TokenRole): boolean {
  return rank(held) >= rank(needed);
}
