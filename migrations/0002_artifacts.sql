-- jobmesh schema, version 2: job artifacts. Applied by persistence at start-up inside one
-- transaction under an advisory lock; never edited once released (add a new file).

CREATE TYPE artifact_when AS ENUM ('on_success', 'on_failure', 'always');

-- artifact_when: after which endings the artifacts are collected (UNSPECIFIED is stored as on_success).
-- artifact_manifest: the recorded manifest's SHA-256, '' until RecordArtifacts stored one.
ALTER TABLE jobs
  ADD COLUMN artifact_when artifact_when NOT NULL DEFAULT 'on_success',
  ADD COLUMN artifact_manifest text NOT NULL DEFAULT '' CHECK (artifact_manifest = '' OR artifact_manifest ~ '^[0-9a-f]{64}$');

-- The manifest of one job's artifacts, recorded once.
CREATE TABLE artifact_sets (
  job_request_id uuid PRIMARY KEY REFERENCES jobs (request_id) ON DELETE CASCADE,
  artifact_dir text NOT NULL DEFAULT '' CHECK (artifact_dir = '' OR (left(artifact_dir, 1) = '/' AND length(artifact_dir) <= 4096)),
  manifest_sha256 text NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  file_count bigint NOT NULL CHECK (file_count BETWEEN 0 AND 10000),
  bytes_total bigint NOT NULL CHECK (bytes_total >= 0),
  unmatched_patterns text[] NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- The files of a manifest. Paths compare byte-wise (COLLATE "C"), so pages come in the same
-- order on every server whatever its locale, and the primary key serves that order.
CREATE TABLE artifact_files (
  job_request_id uuid NOT NULL REFERENCES artifact_sets (job_request_id) ON DELETE CASCADE,
  path text COLLATE "C" NOT NULL CHECK (
    octet_length(path) BETWEEN 1 AND 4096
    AND left(path, 1) <> '/'
    AND path !~ '[\n\r]'
    AND path !~ '(^|/)\.{0,2}(/|$)'
  ),
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  mode integer NOT NULL CHECK (mode BETWEEN 0 AND 4095),
  PRIMARY KEY (job_request_id, path)
);
