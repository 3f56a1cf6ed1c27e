export { startTestMesh, type ServiceName, type TestMesh, type TestMeshOptions } from './start-test-mesh.ts';
export { makeGitRepo } from './make-git-repo.ts';
