-- jobmesh schema, version 5: pipelines (graphs of jobs from a repository's manifest), the steps of
-- jobs, concurrency groups. Applied by persistence at start-up inside one transaction under an
-- advisory lock; never edited once released (add a new file).

CREATE TYPE pipeline_state AS ENUM ('running', 'succeeded', 'failed', 'cancelled');
CREATE TYPE pipeline_job_state AS ENUM ('pending', 'blocked', 'running', 'succeeded', 'failed', 'cancelled', 'skipped');
CREATE TYPE job_step_kind AS ENUM ('run', 'block');
-- In the order a step moves through (a state only moves forward; the last four are final).
CREATE TYPE job_step_state AS ENUM ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled');

-- One run of a manifest. `attempt` fences the writes of a retried pipeline's workflows.
CREATE TABLE pipelines (
  id uuid PRIMARY KEY,
  repo_url text NOT NULL CHECK (length(repo_url) BETWEEN 1 AND 2048),
  commit_sha text NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  manifest_path text NOT NULL CHECK (length(manifest_path) BETWEEN 1 AND 1024),
  manifest_sha256 text NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  state pipeline_state NOT NULL DEFAULT 'running',
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  workflow_id uuid,
  error text NOT NULL DEFAULT '',
  trace_id text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- ListPipelines: newest first, by state, by repository (cursor (created_at, id)).
CREATE INDEX pipelines_created_idx ON pipelines (created_at DESC, id DESC);
CREATE INDEX pipelines_state_idx ON pipelines (state, created_at DESC, id DESC);
CREATE INDEX pipelines_repo_idx ON pipelines (repo_url, created_at DESC, id DESC);
-- Retention: ended pipelines by the end of their last attempt.
CREATE INDEX pipelines_ended_idx ON pipelines ((coalesce(finished_at, updated_at)))
  WHERE state IN ('succeeded', 'failed', 'cancelled');
CREATE TRIGGER pipelines_touch BEFORE UPDATE ON pipelines FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The planned jobs of a pipeline (one per matrix combination), in plan order.
-- steps: the plan's steps, [{"index", "name", "kind" (run|block), "prompt"}].
-- approvals: block step index (text) → {"by", "at"}; the first approval of a step is kept.
-- blocked_at: when the job last became BLOCKED (its block steps began waiting); null before.
-- job_request_id: the job of its latest run (no foreign key: jobs have a retention of their own).
CREATE TABLE pipeline_jobs (
  pipeline_id uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
  position integer NOT NULL CHECK (position >= 0),
  manifest_id text NOT NULL CHECK (length(manifest_id) BETWEEN 1 AND 256),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 4096),
  matrix jsonb NOT NULL DEFAULT '{}'::jsonb,
  runs_on text NOT NULL CHECK (length(runs_on) BETWEEN 1 AND 128),
  needs text[] NOT NULL DEFAULT '{}',
  condition text NOT NULL CHECK (condition IN ('success', 'failure', 'always')),
  concurrency text NOT NULL DEFAULT '' CHECK (length(concurrency) <= 128),
  steps jsonb NOT NULL,
  state pipeline_job_state NOT NULL DEFAULT 'pending',
  reason text NOT NULL DEFAULT '',
  job_request_id uuid,
  runs integer NOT NULL DEFAULT 0 CHECK (runs >= 0),
  started_at timestamptz,
  finished_at timestamptz,
  blocked_at timestamptz,
  approvals jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (pipeline_id, key),
  UNIQUE (pipeline_id, position)
);

-- The steps of a job's run: created PENDING, then their log boundaries, times and exit codes.
-- start_seq/start_offset come with started_at, end_seq/end_offset with finished_at.
CREATE TABLE job_steps (
  job_request_id uuid NOT NULL REFERENCES jobs (request_id) ON DELETE CASCADE,
  index integer NOT NULL CHECK (index >= 0),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 4096),
  kind job_step_kind NOT NULL,
  state job_step_state NOT NULL DEFAULT 'pending',
  exit_code integer,
  started_at timestamptz,
  finished_at timestamptz,
  start_seq bigint CHECK (start_seq >= 0),
  start_offset integer CHECK (start_offset >= 0),
  end_seq bigint CHECK (end_seq >= 0),
  end_offset integer CHECK (end_offset >= 0),
  -- stderr is read apart from stdout, so its boundaries are its own.
  err_start_seq bigint CHECK (err_start_seq >= 0),
  err_start_offset integer CHECK (err_start_offset >= 0),
  err_end_seq bigint CHECK (err_end_seq >= 0),
  err_end_offset integer CHECK (err_end_offset >= 0),
  PRIMARY KEY (job_request_id, index)
);

-- Concurrency groups: the jobs of a group that asked and have not released, in the order they
-- asked (seq). The one with the smallest seq holds the group. Release deletes the row.
CREATE TABLE concurrency_holds (
  group_name text NOT NULL CHECK (group_name ~ '^[A-Za-z0-9._-]{1,128}$'),
  job_request_id uuid NOT NULL REFERENCES jobs (request_id) ON DELETE CASCADE,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, job_request_id)
);
CREATE INDEX concurrency_holds_order_idx ON concurrency_holds (group_name, seq);
-- A job's holds go with it (retention deletes ended jobs).
CREATE INDEX concurrency_holds_job_idx ON concurrency_holds (job_request_id);

-- The pipeline (and pipeline job) a job runs for; NULL for a job submitted alone. No foreign key:
-- a pipeline is pruned only once its jobs are gone (retention), never the other way round.
ALTER TABLE jobs
  ADD COLUMN pipeline_id uuid,
  ADD COLUMN pipeline_job_key text CHECK (length(pipeline_job_key) BETWEEN 1 AND 1024),
  ADD CONSTRAINT jobs_pipeline_link_check CHECK ((pipeline_id IS NULL) = (pipeline_job_key IS NULL)) NOT VALID;
CREATE INDEX jobs_pipeline_idx ON jobs (pipeline_id) WHERE pipeline_id IS NOT NULL;
