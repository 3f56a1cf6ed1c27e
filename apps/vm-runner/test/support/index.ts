export { collectExec, eventually, isProcessAlive, type CollectedExec } from './collect-exec.ts';
export { prepareRequest } from './fixtures.ts';
export { spawnVmRunner, type VmRunnerProcess } from './spawn-vm-runner.ts';
export { processCatalog, startTestVmRunner, writeCatalog, type TestVmRunner } from './start-test-vm-runner.ts';
export { imageCacheDir, killProcessesMentioning, processesMentioning, qemuCatalog, sha256File } from './qemu-support.ts';
