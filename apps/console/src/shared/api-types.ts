// The JSON the console server answers and the web front end reads: one definition for both.
// Pure types (no DOM, no Node), so both TypeScript programs check them.

/** A job state's name as the console shows it. */
export type JobStateName = 'unspecified' | 'queued' | 'preparing' | 'running' | 'collecting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** States after which a job never changes. */
export const terminalJobStates: readonly JobStateName[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** A job as the console shows it (the public API's Job, times as ISO strings). */
export interface JobView {
  id: string;
  state: JobStateName;
  repoUrl: string;
  commitSha: string;
  label: string;
  script: string;
  env: Record<string, string>;
  timeoutMs: number;
  artifactPatterns: string[];
  artifactWhen: string;
  artifactManifest: string;
  exitCode: number | null;
  error: string;
  operationId: string;
  traceId: string;
  createdAt: string | null;
  updatedAt: string | null;
  finishedAt: string | null;
  /** 1 = the next queued job of its label to start; null when not queued (or past the count's cap). */
  queuePosition: number | null;
  /** Pipeline the job runs for; empty for a job submitted alone. */
  pipelineId: string;
  /** The steps of a pipeline job, each with where its output starts in the log (GetJob only). */
  steps: JobStepView[];
}

/** One step of a job: a section of its log. */
export interface JobStepView {
  index: number;
  name: string;
  /** `run` or `block` (waits for an approval). */
  kind: string;
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Offset of the first log chunk holding the step's output. */
  logOffset: number;
  /** The question of a block step, and who approved it. */
  prompt: string;
  approvedBy: string;
}

/** One page of the jobs table. */
export interface JobsPage {
  jobs: JobView[];
  /** Cursor of the next (older) page; empty on the last page. */
  nextCursor: string;
}

/** A pipeline state's name as the console shows it. */
export type PipelineStateName = 'unspecified' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Pipeline states after which only RetryPipeline changes a pipeline. */
export const terminalPipelineStates: readonly PipelineStateName[] = ['succeeded', 'failed', 'cancelled'];

/** A pipeline job's state: `blocked` waits for an approval, `skipped` never ran (its reason says why). */
export type PipelineJobStateName = 'unspecified' | 'pending' | 'blocked' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** One job of a pipeline (one matrix combination), a node of its graph. */
export interface PipelineJobView {
  /** Unique in the pipeline: `build`, `build-a-22`. */
  key: string;
  /** Display name, e.g. `build (os=a, node=22)`. */
  name: string;
  matrix: Record<string, string>;
  label: string;
  /** Keys of the jobs it needs: the graph's edges. */
  needs: string[];
  /** `success`, `failure` or `always`. */
  condition: string;
  concurrency: string;
  state: PipelineJobStateName;
  /** Why it was skipped, failed or cancelled. */
  reason: string;
  /** Its latest run's job; empty before it ran. */
  jobId: string;
  /** Runs over all attempts. */
  runs: number;
  startedAt: string | null;
  finishedAt: string | null;
  steps: JobStepView[];
}

/** A pipeline as the console shows it (the public API's Pipeline, times as ISO strings). */
export interface PipelineView {
  id: string;
  state: PipelineStateName;
  /** From 1; each RetryPipeline adds one. */
  attempt: number;
  repoUrl: string;
  commitSha: string;
  manifestPath: string;
  error: string;
  traceId: string;
  operationId: string;
  createdAt: string | null;
  updatedAt: string | null;
  finishedAt: string | null;
  /** Its jobs in plan order; empty in a list (ListPipelines carries no jobs). */
  jobs: PipelineJobView[];
}

/** One page of the pipelines table. */
export interface PipelinesPage {
  pipelines: PipelineView[];
  /** Cursor of the next (older) page; empty on the last page. */
  nextCursor: string;
}

/** What the console knows of the caller: whether the API needs a token and what the token may do. */
export interface SessionView {
  /** True when the orchestrator answers without a token (JOBMESH_TOKENS_FILE unset). */
  open: boolean;
  /** The role proven by the orchestrator's own answers; null without a (valid) token on a closed API. */
  role: 'read' | 'submit' | 'admin' | null;
  /** Why the token was refused, when one was sent and refused. */
  tokenProblem: string;
  /** Address of the orchestrator the console talks to. */
  orchestrator: string;
}

/** A log stream's name. */
export type LogStreamName = 'stdout' | 'stderr' | 'system';

/** One chunk of a job log. */
export interface LogChunkView {
  /** The chunk's offset (sequence number) in the log. */
  offset: number;
  stream: LogStreamName;
  /** The bytes as UTF-8 text. */
  text: string;
}

/** A run of consecutive chunks of a job log. */
export interface LogPage {
  chunks: LogChunkView[];
  /** True when chunks before the first one of this page exist. */
  hasEarlier: boolean;
  /** Offset the next live chunk will have (after the last one known). */
  nextOffset: number;
}

/** One step of an operation. */
export interface StepView {
  number: number;
  name: string;
  status: 'succeeded' | 'failed' | 'unspecified';
  attempts: number;
  output: string;
  error: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A durable workflow with its recorded steps. */
export interface OperationView {
  id: string;
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'unspecified';
  jobId: string;
  parentId: string;
  error: string;
  createdAt: string | null;
  finishedAt: string | null;
  steps: StepView[];
}

/** A VM, with its job's label and the label's accelerator. */
export interface VmView {
  id: string;
  jobId: string;
  label: string;
  backend: string;
  accelerator: string;
  state: string;
  host: string;
  domainName: string;
  createdAt: string | null;
  lastEventAt: string | null;
}

/** A label as one vm-runner offers it: its capacity. */
export interface LabelView {
  name: string;
  aliases: string[];
  host: string;
  backend: string;
  slotsTotal: number;
  slotsInUse: number;
  unavailableReason: string;
  accelerator: string;
  acceleratorReason: string;
}

/** The VMs page. */
export interface VmsPage {
  vms: VmView[];
  nextCursor: string;
  labels: LabelView[];
  unreachable: string[];
}

/** One artifact. */
export interface ArtifactView {
  path: string;
  sizeBytes: number;
  sha256: string;
  mode: number;
}

/** A page of a job's artifacts. */
export interface ArtifactsPage {
  collected: boolean;
  artifacts: ArtifactView[];
  nextCursor: string;
  totalCount: number;
  totalBytes: number;
  manifestSha256: string;
  unmatchedPatterns: string[];
}

/** The result of one action on one job (bulk cancel answers one per job). */
export interface ActionResult {
  id: string;
  ok: boolean;
  /** The job after the action, when it worked. */
  job?: JobView;
  error?: ApiErrorBody;
}

/** The body of every error answer. */
export interface ApiErrorBody {
  /** The gRPC status name, e.g. PERMISSION_DENIED. */
  code: string;
  /** The stable machine reason, e.g. ROLE_INSUFFICIENT. */
  reason: string;
  message: string;
  field?: string;
}
