export { startTestMesh, type ServiceName, type TestMesh, type TestMeshOptions } from './start-test-mesh.ts';
export { makeGitRepo } from './make-git-repo.ts';
export { waitForJobEnd } from './wait-for-job-end.ts';
export { downloadArtifact } from './download-artifact.ts';
export { waitForPipeline } from './wait-for-pipeline.ts';
