export { createFsopsClient, startTestFsops, type FsopsClient, type TestFsops, type TestFsopsOptions } from './start-test-fsops.ts';
export { spawnFsops, type FsopsProcess } from './spawn-fsops.ts';
export { bytes, writeTree } from './write-tree.ts';
export { runTransferCall, transferRequest, type TransferOutcome } from './run-transfer-call.ts';
export { makeGitRepo, type GitRepo } from './make-git-repo.ts';
