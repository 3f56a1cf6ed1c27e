import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { createCallerAuthorizer, createGrpcServer, defineService, type GrpcServer, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createCollectArtifactsHandler } from './artifacts/create-collect-artifacts-handler.ts';
import { createEntryHandlers } from './entries/create-entry-handlers.ts';
import type { Roots } from './paths/create-roots.ts';
import { createReadFileHandler } from './reads/create-read-file-handler.ts';
import { createPruneHandlers } from './retention/create-prune-handlers.ts';
import type { FsJobRecorder } from './records/create-fs-job-recorder.ts';
import type { KeyLock } from './transfers/create-key-lock.ts';
import { createTransferHandler } from './transfers/create-transfer-handler.ts';
import type { SidecarStore } from './transfers/sidecar-store.ts';
import { createPrepareWorkspaceHandler } from './workspaces/create-prepare-workspace-handler.ts';
import { createReadRepositoryFileHandler } from './workspaces/create-read-repository-file-handler.ts';

/** Full name of the fsops service, for health and reflection. */
export const fsopsServiceName = 'jobmesh.fsops.v1.FsopsService';

/** Mesh identities (client certificates) fsops serves under mutual TLS: only the orchestrator drives file work. */
export const fsopsCallers = ['orchestrator'] as const;

/** What the fsops server is built from. */
export interface FsopsServerDeps {
  roots: Roots;
  mirrorsDir: string;
  sidecars: SidecarStore;
  recorder: FsJobRecorder;
  lock: KeyLock;
  logger: Logger;
  copyChunkBytes: number;
  copyChunkDelayMs: number;
  gitTimeoutMs: number;
  /** Whether git may use fsops' SSH agent for a repository URL. @default never */
  sshAgentFor?: (url: string) => boolean;
  /** TLS of the server; with `clientAuth`, only fsopsCallers are served (others PERMISSION_DENIED). @default plaintext */
  tls?: TlsOptions;
}

/** Builds the fsops gRPC server (FsopsService, health, reflection); no environment, no listening. */
export function createFsopsServer(deps: FsopsServerDeps): GrpcServer {
  const transferDeps = {
    sidecars: deps.sidecars, recorder: deps.recorder, lock: deps.lock, logger: deps.logger,
    chunkBytes: deps.copyChunkBytes, chunkDelayMs: deps.copyChunkDelayMs,
  };
  const entries = createEntryHandlers(deps.roots);
  const prune = createPruneHandlers({ roots: deps.roots, mirrorsDir: deps.mirrorsDir, lock: deps.lock });
  return createGrpcServer({
    logger: deps.logger,
    tls: deps.tls,
    authorize: deps.tls?.clientAuth ? createCallerAuthorizer(fsopsCallers) : undefined,
    services: [
      defineService(fsopsServiceName, FsopsServiceService, {
        prepareWorkspace: createPrepareWorkspaceHandler({ ...deps }),
        readRepositoryFile: createReadRepositoryFileHandler(deps),
        transfer: createTransferHandler(deps.roots, transferDeps),
        collectArtifacts: createCollectArtifactsHandler(deps.roots, transferDeps),
        readFile: createReadFileHandler(deps.roots),
        remove: entries.remove,
        stat: entries.stat,
        list: entries.list,
        pruneArtifacts: prune.pruneArtifacts,
        pruneMirrors: prune.pruneMirrors,
      }),
    ],
  });
}
