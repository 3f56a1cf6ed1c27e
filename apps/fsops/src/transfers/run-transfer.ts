import type { FsJobKind, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { alreadyExists } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { mapFsError } from '../paths/map-fs-error.ts';
import type { FsJobRecorder } from '../records/create-fs-job-recorder.ts';
import { chooseMode } from './choose-mode.ts';
import type { KeyLock } from './create-key-lock.ts';
import { createProgressFeed, type ProgressFeed } from './create-progress-feed.ts';
import { executeTransfer } from './execute-transfer.ts';
import type { TransferPlan } from './plan-transfer.ts';
import type { SidecarRequest, SidecarResult, SidecarStore, TransferSidecar } from './sidecar-store.ts';

/** What transfers are run with. */
export interface TransferDeps {
  sidecars: SidecarStore;
  recorder: FsJobRecorder;
  lock: KeyLock;
  logger: Logger;
  chunkBytes: number;
  chunkDelayMs: number;
  /** Least time between two progress records sent to persistence, in ms. @default 500 */
  progressRecordMs?: number;
}

/** One transfer to run: Transfer's and CollectArtifacts' common ground. */
export interface TransferSpec {
  key: string;
  kind: FsJobKind;
  request: SidecarRequest;
  /** What the caller named as source (moves remove it) and the destination, both resolved. */
  sourcePath: string;
  destination: string;
  /**
   * Checks the source and destination and plans the work, reading only;
   * called for a fresh attempt, never for a completed or interrupted one.
   */
  plan(): Promise<TransferPlan>;
  /** True when the destination must be removed first (OVERWRITE_POLICY_REPLACE on an existing one). */
  replace: boolean;
}

/** A running transfer: its progress and its result. */
export interface RunningTransfer {
  feed: ProgressFeed;
  result: Promise<SidecarResult & { repeated: boolean }>;
}

const sameRequest = (a: SidecarRequest, b: SidecarRequest) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs a transfer under its key's lock: a completed key returns its recorded
 * result; an interrupted or failed one resumes from its sidecar; a fresh one
 * is planned, recorded as started, and carried out. Failures after the start
 * are recorded (attempt + 1) and returned as the error family.
 */
export function runTransfer(deps: TransferDeps, spec: TransferSpec): RunningTransfer {
  const feed = createProgressFeed();
  const result = deps.lock.run(spec.key, async () => {
    let sidecar = await deps.sidecars.read(spec.key);
    if (sidecar && !sameRequest(sidecar.request, spec.request)) {
      throw alreadyExists('TRANSFER_KEY_CONFLICT', `transfer key ${spec.key} was used for another request`);
    }
    if (sidecar?.state === 'completed' && sidecar.result) {
      // Sidecars written before results carried modes answer 0 for them.
      return { ...sidecar.result, files: sidecar.result.files.map((f) => ({ ...f, mode: f.mode ?? 0 })), repeated: true };
    }
    const resuming = sidecar?.files !== undefined;
    const plan = resuming ? undefined : await spec.plan();
    sidecar = { ...(sidecar ?? { key: spec.key, request: spec.request, attempt: 1 }), state: 'running' };
    const current: TransferSidecar = sidecar;
    const tag = createHash('sha256').update(spec.key).digest('hex').slice(0, 12);
    const save = () => deps.sidecars.write(current);
    const totals = plan ?? { bytesTotal: (current.files ?? []).reduce((n, f) => n + f.sizeBytes, 0), files: current.files ?? [] };
    deps.recorder.record({ type: 'started', request: {
      id: spec.key, kind: spec.kind, source: spec.request.source, destination: spec.request.destination,
      transferMode: spec.request.mode as TransferMode, bytesTotal: totals.bytesTotal, filesTotal: totals.files.length, jobRequestId: spec.request.jobRequestId,
    } });
    try {
      await save();
      if (plan) {
        current.modeUsed = await chooseMode(spec.request.mode as TransferMode, plan, tag);
        Object.assign(current, { isTree: plan.isTree, selection: plan.selection ?? false, directories: plan.directories, files: plan.files, renamed: false });
        await save();
        if (spec.replace) await rm(spec.destination, { recursive: true, force: true });
      }
      let lastRecordAt = 0;
      const filesTotal = totals.files.length;
      feed.publish({ bytesDone: 0, bytesTotal: totals.bytesTotal, filesDone: 0, filesTotal });
      const outcome = await executeTransfer({
        sidecar: current, sourcePath: spec.sourcePath, destination: spec.destination, save, tag,
        chunkBytes: deps.chunkBytes, chunkDelayMs: deps.chunkDelayMs,
        onProgress: (bytesDone, filesDone) => {
          feed.publish({ bytesDone, bytesTotal: totals.bytesTotal, filesDone, filesTotal });
          if (Date.now() - lastRecordAt < (deps.progressRecordMs ?? 500)) return;
          lastRecordAt = Date.now();
          deps.recorder.record({ type: 'progress', request: { id: spec.key, bytesDone, filesDone } });
        },
      });
      Object.assign(current, { state: 'completed', result: outcome, lastError: undefined });
      await save();
      deps.recorder.record({ type: 'completed', request: {
        id: spec.key, bytesDone: outcome.bytesTotal, filesDone: outcome.files.length, manifestSha256: outcome.manifestSha256,
        snapshot: current.files!.slice(0, 100_000).map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, sha256: f.sha256 ?? '', mode: f.mode })),
      } });
      return { ...outcome, repeated: false };
    } catch (caught) {
      const error = mapFsError(caught, `transfer ${spec.key}`);
      deps.logger.warn('transfer failed', { key: spec.key, attempt: current.attempt, reason: error.reason, error: caught });
      deps.recorder.record({ type: 'failed', request: { id: spec.key, error: `${error.reason}: ${error.message}`, attempt: current.attempt } });
      Object.assign(current, { state: 'failed', attempt: current.attempt + 1, lastError: error.message });
      await save().catch((e: unknown) => deps.logger.error('cannot save the sidecar of a failed transfer', { key: spec.key, error: e }));
      throw error;
    }
  });
  // The stream may end early (client gone); the work goes on and its outcome is in the sidecar.
  result.catch(() => undefined);
  return { feed, result };
}
