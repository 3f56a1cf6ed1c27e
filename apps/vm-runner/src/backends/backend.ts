import type { LabelSpec } from '../catalog/catalog-schema.ts';
import type { VmRecord } from '../vms/vm-record.ts';

/** The job payload Prepare hands to a backend. */
export interface JobPayload {
  script: string;
  env: Record<string, string>;
  /** Absolute folder whose contents the VM gets; '' = none. */
  workspacePath: string;
}

/** What a backend made at Prepare. */
export interface PreparedFiles {
  overlayPath: string;
  seedPath: string;
  runDir: string;
}

/** What a started VM is. */
export interface StartedVm {
  /** qemu pid; 0 for processes (their job gets a pid at Exec). */
  pid: number;
  pidStartTicks: number;
  accelerator: string;
}

/** Options of one job run. */
export interface ExecOptions {
  /** 0 = no limit. */
  timeoutMs: number;
  /** Time between the polite and the forced kill. */
  killGraceMs: number;
  /** Aborted when the client goes away, or Stop/Destroy ends the job. */
  signal: AbortSignal;
  /**
   * Takes a piece of output. A returned promise means the reader is behind: send nothing more
   * until it resolves (pause the pipe or socket, stop reading the file), so a job writing faster
   * than its client reads is held back instead of growing vm-runner's memory.
   */
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void | Promise<void>;
  /** Called once the job has a host process (process backend), so a restart can find it. */
  onSpawn?(pid: number, startTicks: number): Promise<void>;
  /**
   * Exec with rejoin: the run belongs to the VM; a second call re-joins it (or gets its stored
   * output and outcome) rather than running the job again. @default false
   */
  rejoin?: boolean;
  /** With rejoin: the caller's own signal, which detaches only that caller (the job goes on). */
  callSignal?: AbortSignal;
}

/** How a job ended. */
export interface ExecOutcome {
  /** -1 when ended by a signal. */
  exitCode: number;
  signal: string;
  timedOut: boolean;
}

/** What CollectOutputs asks a backend for. */
export interface OutputRequest {
  /** Checked patterns (see @jobmesh/artifacts requirePatterns). */
  patterns: string[];
  maxFiles: number;
  maxBytes: number;
  /**
   * Empty folder to write the selected files into, under their relative paths; each file is
   * written under a temporary name and renamed once its bytes are complete and verified.
   */
  destination: string;
}

/** A file a backend staged. */
export interface StagedOutput {
  path: string;
  sizeBytes: number;
  sha256: string;
  mode: number;
}

/** What a backend staged. */
export interface StagedOutputs {
  files: StagedOutput[];
  /** Patterns that selected no file. */
  unmatched: string[];
}

/** A kind of machine. Every method gets the VM's record and its label. */
export interface Backend {
  readonly name: 'process' | 'qemu';
  /** Makes the VM's files under record.vmDir. */
  prepare(record: VmRecord, label: LabelSpec, payload: JobPayload): Promise<PreparedFiles>;
  start(record: VmRecord, label: LabelSpec): Promise<StartedVm>;
  /** Resolves when the guest is ready. @throws on timeout or abort */
  waitReady(record: VmRecord, timeoutMs: number, signal: AbortSignal): Promise<void>;
  exec(record: VmRecord, options: ExecOptions): Promise<ExecOutcome>;
  /** True when a rejoinable run was ever started in the VM (Exec with rejoin then re-joins it). */
  hasRun?(record: VmRecord): boolean;
  /**
   * Copies the files of the finished job that the patterns select (see @jobmesh/artifacts
   * selectArtifacts) from where the job ran into request.destination.
   * @throws MeshError FAILED_PRECONDITION ARTIFACT_LIMIT_EXCEEDED (before any byte is written), PERMISSION_DENIED ARTIFACT_PATH_ESCAPES (a selected path leaves the workspace)
   */
  collectOutputs(record: VmRecord, request: OutputRequest): Promise<StagedOutputs>;
  /** Stops whatever runs; @returns how (`powerdown`, `quit`, `killed`, `sigterm`, `sigkill`, `none`). */
  stop(record: VmRecord, options: { graceMs: number; force: boolean }): Promise<string>;
  /** Kills whatever runs and removes record.vmDir. Idempotent. */
  destroy(record: VmRecord): Promise<void>;
  /**
   * After a vm-runner restart: finds the VM's process again.
   * @returns true when it is alive (and now tracked again)
   */
  reattach(record: VmRecord): Promise<boolean>;
  /**
   * Resolves when the VM's machine ends by itself (guest poweroff, crash); undefined when the
   * backend has nothing that can end by itself (processes: a job ends within its Exec).
   */
  exited?(record: VmRecord): Promise<void> | undefined;
  /**
   * Why a label of this backend cannot run here ('' when it can), checked without booting
   * anything: tools installed, image present and verified. Names the fix.
   */
  unavailableReason?(label: LabelSpec): Promise<string>;
  /** The accelerator the backend's VMs use (`kvm`, `tcg`, `probe` before the probe ran) and why. */
  accelerator?(): { name: string; reason: string };
  /** The end of the VM's serial console for errors, one text; '(no console output)' when it has none. */
  consoleTail?(record: VmRecord, maxBytes?: number): Promise<string>;
  /** The end of the VM's serial console (kept after Destroy); undefined when it never had one. */
  readConsole?(record: VmRecord, maxBytes: number): Promise<{ text: string; truncated: boolean } | undefined>;
  /** After a restart: ends whatever still runs from a VM folder nobody has a record of. */
  cleanOrphan?(vmDir: string): Promise<void>;
}
