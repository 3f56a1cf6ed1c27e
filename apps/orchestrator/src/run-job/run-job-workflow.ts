import { ArtifactWhen, JobState, type LogStream, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { NondeterminismError, sleepUnlessAborted, WorkflowCancelledError, WorkflowTimedOutError, type RetryPolicy, type StepRun, type WorkflowContext } from '@jobmesh/durable';
import { aborted, isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { legacyRunJobSteps as legacySteps, runJobSteps as steps } from '../names.ts';
import { finishJob, moveJob } from './move-job.ts';
import { createLogMasker } from '../secrets/create-log-masker.ts';
import type { SecretBox } from '../secrets/create-secret-box.ts';
import { streamExecToLog } from './stream-exec-to-log.ts';
import { placeVm } from './place-vm.ts';
import { waitForSlot } from './wait-for-slot.ts';
import { commitArtifacts, stageOutputs, type ArtifactLimits, type StagedJobOutputs } from './collect-artifacts.ts';
import { createStepMarkerReader } from '../steps/create-step-marker-reader.ts';
import { createHostWatch } from './create-host-watch.ts';
import { acquireConcurrencyGroup, fetchNeededArtifacts, notifyPipeline, releaseConcurrencyGroup, type PipelineJobLink } from './pipeline-job-steps.ts';

/** True when the job's artifacts are collected after this ending of its script. */
function collectsArtifacts(input: RunJobInput, succeeded: boolean): boolean {
  if (input.artifactPatterns.length === 0) return false;
  const when = input.artifactWhen || ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS;
  return when === ArtifactWhen.ARTIFACT_WHEN_ALWAYS || (when === ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS) === succeeded;
}

/** What a run-job workflow is started with. */
export interface RunJobInput {
  requestId: string;
  repoUrl: string;
  commitSha: string;
  runsOn: string;
  script: string;
  env: Record<string, string>;
  /** Secret env sealed by the SecretBox for this job id; opened only inside the steps that need it, never checkpointed in the clear. */
  sealedSecretEnv?: string;
  timeoutMs: number;
  artifactPatterns: string[];
  /** After which endings the artifacts are collected; absent in workflows recorded before it existed (= ON_SUCCESS). */
  artifactWhen?: ArtifactWhen;
  /** When the job must be over (ISO time); Exec gets what is left. */
  deadline: string;
  /** W3C traceparent of the SubmitJob call: the workflow's spans join that trace. */
  traceparent: string;
  /** Set for a job of a pipeline: its steps, needs, concurrency group and the workflow to tell when it ended. */
  pipeline?: PipelineJobLink;
  /**
   * Which steps the workflow takes: 3 (every workflow started now) checks out inside vm.boot
   * (a job without needs) and moves the job to RUNNING as the script starts; 2 merged the steps that were
   * only a state write into their neighbours; absent (recorded before) = 1, the older steps,
   * kept so workflows recorded with them replay (see names.ts).
   */
  stepLayout?: number;
}

/** The step layout new run-job workflows are started with. */
export const currentStepLayout = 3;

/** How a job ended: the workflow's output. */
export interface RunJobOutput {
  state: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  exitCode: number | null;
  error: string;
  artifactManifest: string;
  [key: string]: string | number | null;
}

/** Dependencies of the workflow. */
export interface RunJobDeps {
  clients: MeshClients;
  vmReadyTimeoutMs: number;
  secrets: SecretBox;
  /** Caps of one job's artifacts (JOBMESH_ARTIFACT_MAX_FILES / _BYTES). */
  artifactLimits: ArtifactLimits;
  /** How long a VM host may be unreachable before the job's steps on it fail with HOST_LOST, in ms. @default 60000 */
  hostLostAfterMs?: number;
}

/** Calls to other services: retried while they are away (UNAVAILABLE) or busy, never on a real refusal. */
// About 3 minutes of attempts: in the chaos drill a SIGKILLed service took up to 20 s to serve
// again on a busy 2-core host, and 8 attempts (16 s) failed jobs that had done nothing wrong.
const serviceCall: RetryPolicy = { maxAttempts: 40, backoff: 'exponential', initialIntervalMs: 200, maxIntervalMs: 5000 };
// Retried while every vm-runner is full (RESOURCE_EXHAUSTED) or away; a label that cannot run (FAILED_PRECONDITION) fails at once.
const slotWait: RetryPolicy = { maxAttempts: 1000, backoff: 'exponential', initialIntervalMs: 250, maxIntervalMs: 2000, nonRetryableCodes: [3, 5, 6, 7, 9, 16] };
const finalState = { succeeded: JobState.JOB_STATE_SUCCEEDED, failed: JobState.JOB_STATE_FAILED, cancelled: JobState.JOB_STATE_CANCELLED, timed_out: JobState.JOB_STATE_TIMED_OUT };

/**
 * The run-job workflow: wait for a slot → check out → prepare, start and boot
 * a VM → exec with the log streamed into persistence → collect artifacts →
 * destroy the VM and the workspace (always: also after failure, timeout or
 * cancel) → the job's final state with its exit code. Each call carries an
 * idempotency key derived from the workflow, so a replayed step finds the
 * work it already did.
 */
export function createRunJobWorkflow({ clients, vmReadyTimeoutMs, secrets, artifactLimits, hostLostAfterMs = 60_000 }: RunJobDeps) {
  const openSecrets = (input: RunJobInput) => (input.sealedSecretEnv ? secrets.open(input.requestId, input.sealedSecretEnv) : {});
  return async (ctx: WorkflowContext, input: RunJobInput): Promise<RunJobOutput> => {
    const { requestId } = input;
    let vmId = '';
    // The vm-runner the VM was placed on; every VM step of this job goes there.
    let vmRunner = clients.vmRunnerAt('');
    let workspacePath = '';
    // A cancel or timeout abandons a running step, but fsops still finishes the checkout: the
    // clean-up waits for it so the workspace is removed (the chaos drill found such leftovers).
    let checkout: Promise<string> | undefined;
    let preparing: Promise<string> | undefined;
    // Set once the step that may make the workspace (or the VM) was reached, in this execution
    // or a replayed one: a checkout or Prepare an earlier execution (or a killed fsops/vm-runner)
    // left unreported is then found by the job's id and removed, so nothing survives a kill.
    let workspaceMayExist = false;
    let vmMayExist = false;
    let output: RunJobOutput = { state: 'failed', exitCode: null, error: '', artifactManifest: '' };
    let ending: unknown;
    const cleanupProblems: string[] = [];
    const link = input.pipeline;
    let groupMayBeHeld = false;
    // The VM host the scheduler picked: its vm-runner and the fsops sharing its workspace root.
    let host = '';
    let fsops = clients.fsops;
    const watch = createHostWatch(hostLostAfterMs);
    const onHost = <T>(call: () => Promise<T>) => watch.guard(host, call);
    const layout = input.stepLayout ?? 1;
    const layout2 = layout >= 2;
    try {
      if (link?.concurrency) {
        groupMayBeHeld = true;
        await ctx.step(steps.acquireGroup, async (run) => acquireConcurrencyGroup(clients, link.concurrency, requestId, run.signal), { retry: serviceCall });
      }
      const toPreparing = () => moveJob(clients, requestId, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PREPARING, 'a slot is free; preparing');
      const checkOut = () => {
        workspaceMayExist = true;
        checkout = onHost(() => fsops.prepareWorkspace({ key: requestId, repoUrl: input.repoUrl, commitSha: input.commitSha, jobRequestId: requestId })).then((r) => r.workspacePath);
        return checkout;
      };
      const onSlot = (found: { runner?: string }) => {
        vmRunner = clients.vmRunnerAt(found.runner ?? '');
        host = found.runner ?? '';
        fsops = clients.fsopsFor(host);
      };
      const slot = (layout >= 2
        // The job leaves the queue in the step that found it a slot: no checkpoint for a state write alone.
        ? await ctx.step(steps.takeSlot, async (run) => {
          const found = await waitForSlot(clients, requestId, input.runsOn, run.signal);
          await toPreparing();
          return found;
        }, { retry: serviceCall })
        : await ctx.step(legacySteps.acquireSlot, async (run) => waitForSlot(clients, requestId, input.runsOn, run.signal), { retry: serviceCall })) as { runner?: string };
      onSlot(slot);
      if (layout === 1) await ctx.step(legacySteps.markPreparing, toPreparing, { retry: serviceCall });
      workspaceMayExist = true;
      // Layout 3 checks out inside vm.boot (one checkpoint less), unless artifacts of needed jobs must
      // land in the workspace first (fs.fetch-needs, a step of its own, between the two).
      const checkoutInBoot = layout >= 3 && !link?.needs.length;
      if (!checkoutInBoot) workspacePath = (await ctx.step(steps.prepareWorkspace, checkOut, { retry: serviceCall })) as string;
      if (link?.needs.length) {
        await ctx.step(steps.fetchNeeds, async () => onHost(() => fetchNeededArtifacts({ artifacts: clients.artifacts, fsops }, requestId, workspacePath, link.needs)), { retry: serviceCall });
      }
      vmMayExist = true;
      const prepareVm = async (run: StepRun) => {
        const request = { key: run.key, runsOn: input.runsOn, jobRequestId: requestId, workspacePath, script: input.script, env: { ...input.env, ...openSecrets(input) } };
        const made = onHost(() => placeVm(clients, slot.runner ?? '', request)).then((p) => ((vmRunner = clients.vmRunnerAt(p.runner)), p));
        preparing = made.then((p) => p.vmId);
        // Only the clean-up reads `preparing`; the step itself reports a failure (an unhandled rejection would end the process).
        preparing.catch(() => undefined);
        return made;
      };
      const startVm = async () => void (await onHost(() => vmRunner.start({ vmId })));
      const waitReady = async () => void (await onHost(() => vmRunner.waitReady({ vmId, timeoutMs: vmReadyTimeoutMs }, { deadlineMs: vmReadyTimeoutMs + 10_000 })));
      const toRunning = () => moveJob(clients, requestId, JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING, 'the VM is ready; running');
      if (layout2) {
        // (Layout 3: the checkout,) Prepare, Start, WaitReady (layout 2: and the move to RUNNING) in one
        // step, checkpointed once: each call is idempotent by the job's or the VM's key (a replay finds the
        // workspace made, the VM made, started or ready). Retried as the Prepare was (slots may be full),
        // but a guest not ready in time fails at once, as before.
        const placed = (await ctx.step(steps.boot, async (run) => {
          if (checkoutInBoot && !workspacePath) {
            // Once per execution (a retry while slots are full does not check out again). A checkout call
            // whose deadline passed while fsops still works on it (a first clone of a big repository) is
            // tried again and joins the checkout running under the job's key, as its own step did.
            workspacePath = await checkOut().catch((error: unknown) => {
              if (isMeshError(error, status.DEADLINE_EXCEEDED)) throw aborted('CHECKOUT_STILL_RUNNING', `the checkout outlasted its call, tried again: ${error.message}`);
              throw error;
            });
            // A job cancelled or timed out during the checkout prepares no VM: the clean-up (which waits for
            // the checkout first) then knows every VM this step made.
            run.signal.throwIfAborted();
          }
          const made = await prepareVm(run);
          vmId = made.vmId;
          await startVm();
          await waitReady();
          // Layout 3 moves the job to RUNNING side by side with the script's start (vm.exec).
          if (layout === 2) await toRunning();
          return checkoutInBoot ? { ...made, workspacePath } : made;
        }, { retry: { ...slotWait, nonRetryableCodes: [...slotWait.nonRetryableCodes!, 4] } })) as { vmId: string; runner: string; workspacePath?: string };
        if (placed.workspacePath) workspacePath = placed.workspacePath;
        vmId = placed.vmId;
        vmRunner = clients.vmRunnerAt(placed.runner);
      } else {
        const placed = (await ctx.step(legacySteps.prepareVm, prepareVm, { retry: slotWait })) as { vmId: string; runner: string } | string;
        // Workflows recorded before placement kept only the VM id.
        vmId = typeof placed === 'string' ? placed : placed.vmId;
        if (typeof placed !== 'string') vmRunner = clients.vmRunnerAt(placed.runner);
        await ctx.step(legacySteps.startVm, startVm, { retry: serviceCall });
        // Retried while vm-runner restarts (UNAVAILABLE), but a guest that was not ready in time (DEADLINE_EXCEEDED) fails at once.
        await ctx.step(legacySteps.waitReady, waitReady, { retry: { ...serviceCall, nonRetryableCodes: [3, 4, 5, 6, 7, 9, 16] } });
        await ctx.step(legacySteps.markRunning, toRunning, { retry: serviceCall });
      }
      const result = await ctx.step(steps.exec, async (run) => {
        const leftMs = Math.max(1, Date.parse(input.deadline) - Date.now());
        const secretValues = Object.values(openSecrets(input));
        const stepRecording = link?.stepNonce ? {
          reader: createStepMarkerReader<LogStream>(link.stepNonce),
          names: new Map(link.runSteps.map((s) => [s.index, s.name])),
          record: async (changes: Parameters<typeof clients.jobs.recordJobSteps>[0]['steps']) => void (await clients.jobs.recordJobSteps({ requestId, steps: changes })),
        } : undefined;
        // Layout 3: PREPARING → RUNNING goes out as the script starts (a replay finds the job RUNNING: moveJob is
        // idempotent), retried while persistence is away so the job shows RUNNING while it runs, not only after.
        const moved = layout >= 3 ? retryWhileAway(toRunning, run.signal) : undefined;
        moved?.catch(() => undefined);
        const r = await onHost(() => streamExecToLog({ logs: clients.logs, vmRunner }, requestId, vmId, leftMs, run.signal, secretValues.length ? createLogMasker<LogStream>(secretValues) : undefined, {}, stepRecording));
        await moved;
        return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, nextSeq: r.nextSeq };
      }, { retry: serviceCall }); // safe to repeat: Exec with rejoin re-joins the run, never starts it twice
      const ok = result.exitCode === 0 && !result.timedOut;
      output = result.timedOut
        ? { ...output, state: 'timed_out', exitCode: result.exitCode, error: `the job ran past its timeout of ${input.timeoutMs} ms` }
        : { state: ok ? 'succeeded' : 'failed', exitCode: result.exitCode, error: ok ? '' : `exited ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}`, artifactManifest: '' };
      if (collectsArtifacts(input, ok)) {
        const how = result.timedOut ? 'timed out' : `exited ${result.exitCode}`;
        const toCollecting = () => moveJob(clients, requestId, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_COLLECTING, `${how}; collecting artifacts`);
        if (!layout2) await ctx.step(legacySteps.markCollecting, toCollecting, { retry: serviceCall });
        const staged = (await ctx.step(steps.collectOutputs, async () => {
          if (layout2) await toCollecting();
          return onHost(() => stageOutputs({ logs: clients.logs, vmRunner }, requestId, vmId, input.artifactPatterns, artifactLimits, result.nextSeq ?? 0)) as Promise<never>;
        }, { retry: serviceCall })) as StagedJobOutputs;
        const committed = (await ctx.step(steps.collectArtifacts, async () => onHost(() => commitArtifacts(fsops, requestId, staged)), { retry: serviceCall })) as { artifactDir: string; manifestSha256: string };
        await ctx.step(steps.recordArtifacts, async () => void (await clients.artifacts.recordArtifacts({
          jobRequestId: requestId, artifactDir: committed.artifactDir, files: staged.files, manifestSha256: committed.manifestSha256, unmatchedPatterns: staged.unmatched,
        })), { retry: serviceCall });
        output = { ...output, artifactManifest: committed.manifestSha256 };
      }
    } catch (error) {
      ending = error;
      if (error instanceof WorkflowCancelledError) output = { ...output, state: 'cancelled', error: error.message };
      else if (error instanceof WorkflowTimedOutError) output = { ...output, state: 'timed_out', error: `the job ran past its timeout of ${input.timeoutMs} ms` };
      else output = { ...output, state: 'failed', error: isMeshError(error) ? `${error.reason}: ${error.message}` : String(error) };
    } finally {
      // A clean-up step that still fails after its retries must not keep the job from its final
      // state: its error is recorded with the step and named in the job's final message.
      const tryCleanup = async (run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (error) {
          // A lost lease or changed code ends this execution as before; only a failed step is kept.
          if (!isMeshError(error) || error instanceof NondeterminismError) throw error;
          cleanupProblems.push(`${error.reason}: ${error.message}`);
        }
      };
      const settled = (made: Promise<string>) => Promise.race([made.catch(() => ''), new Promise<string>((r) => setTimeout(() => r(''), 120_000).unref())]);
      // The checkout first: vm.boot (layout 3) prepares a VM only after it, unless the step was abandoned meanwhile.
      if (!workspacePath && checkout) workspacePath = await settled(checkout);
      if (!vmId && preparing) vmId = await settled(preparing);
      const destroy = vmId
        ? async () => void (await onHost(() => vmRunner.destroy({ vmId })).catch((e: unknown) => {
          if (!isMeshError(e, status.NOT_FOUND)) throw e;
        }))
        // The Prepare's answer was lost (vm-runner or this orchestrator killed, or the job ended
        // while it ran): destroy whatever VM of this job any vm-runner of its host holds.
        : vmMayExist ? async () => void (await onHost(() => destroyJobVms(clients, requestId, host))) : undefined;
      const removeWorkspace = workspacePath
        ? async () => void (await onHost(() => fsops.remove({ path: workspacePath })))
        // The checkout's answer was lost: its workspace (or a half-made temporary one) may exist.
        // PrepareWorkspace by the same key names it (and removes stale temporary checkouts).
        : workspaceMayExist ? async () => {
          const found = await onHost(() => locateWorkspace(fsops, input));
          if (found) await onHost(() => fsops.remove({ path: found }));
        } : undefined;
      const releaseGroup = groupMayBeHeld && link ? async () => releaseConcurrencyGroup(clients, link.concurrency, requestId) : undefined;
      if (layout2) {
        // One clean-up step: the VM and the workspace go side by side (each is removed by its own
        // service, neither needs the other), checkpointed once; a retry repeats only what failed.
        if (destroy || removeWorkspace) {
          const done = new Set<string>();
          await tryCleanup(() => ctx.step(steps.cleanUp, async () => {
            const parts = Object.entries({ vm: destroy, workspace: removeWorkspace }).filter(([name, run]) => run && !done.has(name));
            const results = await Promise.allSettled(parts.map(async ([name, run]) => (await run!(), done.add(name))));
            const failed = results.find((r) => r.status === 'rejected');
            if (failed) throw (failed as PromiseRejectedResult).reason;
          }, { cleanup: true, retry: serviceCall }));
        }
        if (releaseGroup) await tryCleanup(() => ctx.step(steps.releaseGroup, releaseGroup, { cleanup: true, retry: serviceCall }));
      } else {
        if (destroy) await tryCleanup(() => ctx.step(legacySteps.destroyVm, destroy, { cleanup: true, retry: serviceCall }));
        if (releaseGroup) await tryCleanup(() => ctx.step(steps.releaseGroup, releaseGroup, { cleanup: true, retry: serviceCall }));
        if (removeWorkspace) await tryCleanup(() => ctx.step(legacySteps.removeWorkspace, removeWorkspace, { cleanup: true, retry: serviceCall }));
      }
    }
    const message = (output.error || output.state) + (cleanupProblems.length ? `; clean-up failed: ${cleanupProblems.join('; ')}` : '');
    // The last step: its checkpoint goes with the workflow's CompleteWorkflow (libs/durable).
    await ctx.step(steps.finish, async () => {
      // The state the job was last moved to, tried first (one call); finishJob reads the job only when it moved meanwhile.
      const expected = !layout2 ? undefined : output.artifactManifest ? JobState.JOB_STATE_COLLECTING : vmId && output.exitCode !== null ? JobState.JOB_STATE_RUNNING : undefined;
      await finishJob(clients, requestId, finalState[output.state], message, { exitCode: output.exitCode ?? undefined, error: output.error }, expected);
      if (link) await notifyPipeline(clients, link, { kind: 'job-ended', key: link.key, jobRequestId: requestId, state: output.state, exitCode: output.exitCode, error: message });
    }, { cleanup: true, retry: serviceCall });
    // Cancellation and timeouts also end the workflow itself that way; a job that failed is a workflow that did its work.
    if (ending instanceof WorkflowCancelledError || ending instanceof WorkflowTimedOutError) throw ending;
    return output;
  };
}

/** States of a VM that still holds something to destroy. */
const gone = new Set<number>([VmState.VM_STATE_DESTROYED]);

/**
 * Destroys every VM of the job on the vm-runners of its host (a missing VM is fine). Every runner is tried
 * even when one is away; the first failure is thrown afterwards, so the step retries.
 * @returns how many
 */
async function destroyJobVms(clients: MeshClients, requestId: string, host: string): Promise<number> {
  let destroyed = 0;
  let failure: unknown;
  // The job's VM can only be on its host's vm-runners (any, for workflows recorded before hosts).
  const runners = host && clients.vmRunners.has(host) ? clients.sameHostRunners(host).map((a) => clients.vmRunnerAt(a)) : [...clients.vmRunners.values()];
  for (const runner of runners) {
    try {
      // Only this job's VMs, a page at a time: a vm-runner's list grows with its history.
      let pageToken = '';
      do {
        const page = await runner.listVms({ states: [], jobRequestId: requestId, key: '', pageSize: 100, pageToken });
        for (const vm of page.vms.filter((v) => v.jobRequestId === requestId && !gone.has(v.state))) {
          await runner.destroy({ vmId: vm.id }).catch((e: unknown) => {
            if (!isMeshError(e, status.NOT_FOUND)) throw e;
          });
          destroyed++;
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
  return destroyed;
}

/**
 * The path of the job's workspace, made by an earlier checkout whose answer was lost: PrepareWorkspace
 * is idempotent by key, so it answers with the existing workspace (waiting for a checkout still running
 * under that key); if none exists it checks out again (a local clone from the mirror), which the caller
 * then removes. A checkout that cannot succeed (commit or repository gone, no space) left nothing: undefined.
 */
async function locateWorkspace(fsops: MeshClients['fsops'], input: RunJobInput): Promise<string | undefined> {
  try {
    const { workspacePath } = await fsops.prepareWorkspace({ key: input.requestId, repoUrl: input.repoUrl, commitSha: input.commitSha, jobRequestId: input.requestId });
    return workspacePath;
  } catch (error) {
    // A checkout that cannot succeed (bad input, commit or repository gone, no space, no access)
    // is the failure the checkout itself met: nothing to remove. Anything else (fsops away or
    // killed mid-call) may hide a workspace: the step retries, and the clean-up gives up only
    // after its retries, without keeping the job from its final state.
    const lasting = [status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION, status.ALREADY_EXISTS, status.RESOURCE_EXHAUSTED, status.PERMISSION_DENIED];
    if (isMeshError(error) && lasting.includes(error.code)) return undefined;
    throw error;
  }
}

/** Codes of a call that may succeed when sent again: the service away, slow or busy. */
const awayCodes: number[] = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED];

/** Runs `call`, again after 200 ms, 400 ms, … (at most 5 s apart, 10 tries) while it fails with an away code and `signal` is not aborted. */
async function retryWhileAway<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 10 || signal.aborted || !isMeshError(error) || !awayCodes.includes(error.code)) throw error;
      await sleepUnlessAborted(Math.min(200 * 2 ** (attempt - 1), 5000), signal);
    }
  }
}
