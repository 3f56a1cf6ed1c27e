-- jobmesh schema, version 3: indexes retention prunes by. Applied by persistence at start-up
-- inside one transaction under an advisory lock; never edited once released (add a new file).
-- Each one serves a batch `SELECT ... WHERE <ended> AND <end time> < cutoff LIMIT n` without
-- scanning live rows; the expressions match those of apps/persistence/src/retention.

CREATE INDEX jobs_ended_idx ON jobs ((coalesce(finished_at, updated_at)))
  WHERE state IN ('succeeded', 'failed', 'cancelled', 'timed_out');
CREATE INDEX workflows_ended_idx ON workflows ((coalesce(finished_at, updated_at)))
  WHERE status IN ('succeeded', 'failed', 'cancelled', 'timed_out');
-- A job is pruned only once no workflow of it is left.
CREATE INDEX workflows_job_idx ON workflows (job_request_id);
CREATE INDEX vms_ended_idx ON vms (last_event_at) WHERE state IN ('destroyed', 'failed');
CREATE INDEX fs_jobs_ended_idx ON fs_jobs ((coalesce(completed_at, updated_at)))
  WHERE state IN ('completed', 'failed');
