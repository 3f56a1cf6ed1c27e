import { manifestSha256 } from '@jobmesh/artifacts';
import type { ArtifactFile } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { LogStream, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { MeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** Caps of one job's artifacts. */
export interface ArtifactLimits {
  /** Most files. @default 1000 */
  maxFiles: number;
  /** Most bytes in all. @default 1 GiB */
  maxBytes: number;
}

/** What vm-runner staged for a job: the checkpoint of the vm.collect-outputs step. */
export interface StagedJobOutputs {
  stagedPath: string;
  files: ArtifactFile[];
  unmatched: string[];
  [key: string]: unknown;
}

/**
 * Has vm-runner copy the job's matching files out of where it ran (the VM's workspace copy, or
 * the guest through its agent) into a staging folder fsops owns, and writes one line to the job
 * log naming what was collected and every pattern that matched nothing (log seq `nextSeq`, so a
 * repeated step rewrites the same chunk).
 */
export async function stageOutputs(clients: Pick<MeshClients, 'logs'> & { vmRunner: ReturnType<MeshClients['vmRunnerAt']> },
  requestId: string, vmId: string, patterns: string[], limits: ArtifactLimits, nextSeq: number): Promise<StagedJobOutputs> {
  const staged = await clients.vmRunner.collectOutputs({ vmId, patterns, maxFiles: limits.maxFiles, maxBytes: limits.maxBytes }, { deadlineMs: 30 * 60_000 });
  const lines = [`jobmesh: collected ${staged.files.length} artifact file(s), ${staged.bytesTotal} bytes`];
  for (const pattern of staged.unmatchedPatterns) lines.push(`jobmesh: artifact pattern ${JSON.stringify(pattern)} matched no file`);
  await clients.logs.appendLogChunks({ chunks: [{ requestId, seq: nextSeq, stream: LogStream.LOG_STREAM_SYSTEM, data: Buffer.from(`${lines.join('\n')}\n`), createdAt: undefined }] });
  return {
    stagedPath: staged.stagedPath,
    files: staged.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, sha256: f.sha256, mode: f.mode })),
    unmatched: staged.unmatchedPatterns,
  };
}

/**
 * Has fsops move the staged folder into the artifact store (`<artifacts>/<job>`, a transfer keyed
 * `collect:<job>` that resumes after a crash and removes the staged folder when done), and checks
 * that what fsops committed is what vm-runner staged, file by file.
 * @throws MeshError DATA_LOSS (ARTIFACT_CORRUPTED) when a file's size or SHA-256 changed on the way
 */
export async function commitArtifacts(fsops: MeshClients['fsops'], requestId: string, staged: StagedJobOutputs): Promise<{ artifactDir: string; manifestSha256: string }> {
  const committed = await fsops.collectArtifacts({ jobRequestId: requestId, workspacePath: '', patterns: [], mode: TransferMode.TRANSFER_MODE_MOVE, stagedPath: staged.stagedPath });
  const byPath = new Map(committed.files.map((f) => [f.path, f]));
  for (const file of staged.files) {
    const got = byPath.get(file.path);
    if (!got || got.sizeBytes !== file.sizeBytes || got.sha256 !== file.sha256) {
      throw new MeshError(status.DATA_LOSS, 'ARTIFACT_CORRUPTED', `artifact ${file.path}: the artifact store holds ${got ? `${got.sizeBytes} bytes, sha256 ${got.sha256}` : 'nothing'}, the job produced ${file.sizeBytes} bytes, sha256 ${file.sha256}`);
    }
  }
  if (committed.files.length !== staged.files.length) {
    throw new MeshError(status.DATA_LOSS, 'ARTIFACT_CORRUPTED', `the artifact store holds ${committed.files.length} files of job ${requestId}; the job produced ${staged.files.length}`);
  }
  return { artifactDir: staged.files.length ? committed.artifactDir : '', manifestSha256: manifestSha256(staged.files) };
}
