-- jobmesh schema, version 4: external events of durable workflows. Applied by persistence at
-- start-up inside one transaction under an advisory lock; never edited once released (add a new file).

-- An event is kept until its workflow goes (retention deletes a workflow's events in their own
-- batches before the workflow; the cascade is a backstop). `seq` numbers a workflow's events
-- from 1 in arrival order: it is given under the workflow's row lock, so it is also the order in
-- which they commit and a reader never sees a later event without the earlier ones.
CREATE TABLE workflow_events (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  payload_json jsonb NOT NULL,
  dedupe_key text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  raised_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, seq),
  UNIQUE (workflow_id, dedupe_key)
);
-- The k-th event of a name: GetWorkflowEvent, and the wake-up check of a raise and a release.
CREATE INDEX workflow_events_name_idx ON workflow_events (workflow_id, name, seq);

-- The event a PENDING workflow waits for (ReleaseWorkflow with a wait); NULL when none. Such a
-- workflow is scheduled at its deadline, its resume time or never (9999-12-31) until the event or
-- a cancel request makes it due now. NOT VALID: the existing rows (all NULL) need no scan under the
-- migration's lock; every new write is checked.
ALTER TABLE workflows
  ADD COLUMN waiting_for_event text,
  ADD COLUMN waiting_for_event_index integer,
  ADD CONSTRAINT workflows_waiting_for_event_check CHECK (
    (waiting_for_event IS NULL AND waiting_for_event_index IS NULL)
    OR (length(waiting_for_event) BETWEEN 1 AND 200 AND waiting_for_event_index >= 0)) NOT VALID;
