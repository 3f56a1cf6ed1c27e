-- jobmesh schema, version 1. Applied by persistence at start-up inside one
-- transaction under an advisory lock; never edited once released (add a new file).

CREATE TYPE job_state AS ENUM (
  'queued', 'preparing', 'running', 'collecting', 'succeeded', 'failed', 'cancelled', 'timed_out'
);
CREATE TYPE vm_state AS ENUM (
  'preparing', 'prepared', 'starting', 'ready', 'executing', 'stopping', 'stopped', 'destroyed', 'failed'
);
CREATE TYPE vm_backend AS ENUM ('qemu', 'process');
CREATE TYPE transfer_mode AS ENUM ('copy', 'move', 'hardlink', 'reflink', 'auto');
CREATE TYPE fs_job_kind AS ENUM ('checkout', 'transfer', 'collect_artifacts', 'remove');
CREATE TYPE fs_job_state AS ENUM ('running', 'completed', 'failed');
CREATE TYPE workflow_status AS ENUM ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out');
CREATE TYPE step_status AS ENUM ('succeeded', 'failed');
CREATE TYPE log_stream AS ENUM ('stdout', 'stderr', 'system');

-- Keeps updated_at true on every UPDATE, whoever writes.
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TABLE jobs (
  request_id uuid PRIMARY KEY,
  repo_url text NOT NULL CHECK (length(repo_url) BETWEEN 1 AND 2048),
  commit_sha text NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  runs_on text NOT NULL CHECK (length(runs_on) BETWEEN 1 AND 128),
  script text NOT NULL,
  env jsonb NOT NULL DEFAULT '{}'::jsonb,
  timeout_ms bigint NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
  artifact_patterns text[] NOT NULL DEFAULT '{}',
  state job_state NOT NULL DEFAULT 'queued',
  exit_code integer,
  error text NOT NULL DEFAULT '',
  workflow_id uuid,
  trace_id text NOT NULL DEFAULT '',
  last_event_sequence bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX jobs_created_idx ON jobs (created_at DESC, request_id DESC);
CREATE INDEX jobs_state_idx ON jobs (state, created_at DESC);
CREATE INDEX jobs_runs_on_idx ON jobs (runs_on, created_at DESC);
CREATE INDEX jobs_repo_idx ON jobs (repo_url, created_at DESC);
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_events (
  sequence bigserial PRIMARY KEY,
  request_id uuid NOT NULL REFERENCES jobs (request_id) ON DELETE CASCADE,
  from_state job_state,
  to_state job_state NOT NULL,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job_idx ON job_events (request_id, sequence);

CREATE TABLE job_log_chunks (
  request_id uuid NOT NULL REFERENCES jobs (request_id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  stream log_stream NOT NULL,
  data bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, seq)
);

CREATE TABLE vms (
  request_id uuid PRIMARY KEY,
  job_request_id uuid,
  domain_name text NOT NULL DEFAULT '',
  overlay_path text NOT NULL DEFAULT '',
  seed_path text NOT NULL DEFAULT '',
  backend vm_backend NOT NULL,
  state vm_state NOT NULL,
  host text NOT NULL DEFAULT '',
  last_event_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vms_created_idx ON vms (created_at DESC, request_id DESC);
CREATE INDEX vms_job_idx ON vms (job_request_id);
CREATE TRIGGER vms_touch BEFORE UPDATE ON vms FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE vm_events (
  sequence bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  request_id uuid NOT NULL REFERENCES vms (request_id) ON DELETE CASCADE,
  job_request_id uuid,
  domain_name text NOT NULL DEFAULT '',
  overlay_path text NOT NULL DEFAULT '',
  seed_path text NOT NULL DEFAULT '',
  backend vm_backend NOT NULL,
  state vm_state NOT NULL,
  message text NOT NULL DEFAULT '',
  host text NOT NULL DEFAULT '',
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vm_events_vm_idx ON vm_events (request_id, occurred_at, sequence);

CREATE TABLE fs_jobs (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  kind fs_job_kind NOT NULL,
  source text NOT NULL DEFAULT '',
  destination text NOT NULL DEFAULT '',
  transfer_mode transfer_mode,
  state fs_job_state NOT NULL DEFAULT 'running',
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  last_error text,
  bytes_done bigint NOT NULL DEFAULT 0,
  bytes_total bigint NOT NULL DEFAULT 0,
  files_done bigint NOT NULL DEFAULT 0,
  files_total bigint NOT NULL DEFAULT 0,
  snapshot jsonb NOT NULL DEFAULT '[]'::jsonb,
  manifest_sha256 text NOT NULL DEFAULT '',
  job_request_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX fs_jobs_created_idx ON fs_jobs (created_at DESC, id DESC);
CREATE INDEX fs_jobs_job_idx ON fs_jobs (job_request_id);
CREATE TRIGGER fs_jobs_touch BEFORE UPDATE ON fs_jobs FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE workflows (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status workflow_status NOT NULL DEFAULT 'pending',
  input_json jsonb NOT NULL DEFAULT 'null'::jsonb,
  output_json jsonb,
  error text NOT NULL DEFAULT '',
  parent_id uuid REFERENCES workflows (id),
  job_request_id uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  fencing_token bigint NOT NULL DEFAULT 0,
  cancel_requested boolean NOT NULL DEFAULT false,
  cancel_reason text NOT NULL DEFAULT '',
  scheduled_at timestamptz NOT NULL DEFAULT now(),
  deadline_at timestamptz,
  claim_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX workflows_created_idx ON workflows (created_at DESC, id DESC);
CREATE INDEX workflows_claimable_idx ON workflows (scheduled_at) WHERE status IN ('pending', 'running');
CREATE INDEX workflows_parent_idx ON workflows (parent_id);
CREATE TRIGGER workflows_touch BEFORE UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE workflow_steps (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  step_number integer NOT NULL CHECK (step_number >= 0),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status step_status NOT NULL,
  output_json jsonb,
  error_json jsonb,
  attempts integer NOT NULL DEFAULT 1,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, step_number)
);
