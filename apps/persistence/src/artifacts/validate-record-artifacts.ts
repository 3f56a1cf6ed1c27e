import { checkArtifactPath, manifestSha256, maxArtifactPatterns } from '@jobmesh/artifacts';
import type { ArtifactFile, RecordArtifactsRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { requireInteger, requireText, requireUuid } from '../validation/fields.ts';
import type { NewArtifactSet } from './artifact-queries.ts';

/** Most files in one job's manifest. */
export const maxArtifactFiles = 10_000;
/** Largest mode: permission, setuid, setgid and sticky bits (0o7777). */
const maxMode = 0o7777;
const sha256Rules = { max: 64, pattern: { regex: /^[0-9a-f]{64}$/, description: '64 lower-case hex digits' } };
const byPath = (a: ArtifactFile, b: ArtifactFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Checks a RecordArtifacts request: job id, at most 10000 files with unique safe
 * paths, SHA-256 digests, sizes and modes, an absolute artifact_dir (required when
 * there are files), the unmatched patterns, and a manifest_sha256 that is the
 * manifest hash of exactly these files.
 * @returns the manifest to store, files sorted by path
 * @throws MeshError INVALID_ARGUMENT naming the field
 */
export function validateRecordArtifacts(request: RecordArtifactsRequest): NewArtifactSet {
  const jobRequestId = requireUuid('job_request_id', request.jobRequestId);
  if (request.files.length > maxArtifactFiles) throw invalidArgument('files', `must hold at most ${maxArtifactFiles} files, got ${request.files.length}`);
  const seen = new Set<string>();
  let bytesTotal = 0;
  const files = request.files.map((file, i): ArtifactFile => {
    const path = checkArtifactPath(`files[${i}].path`, file.path);
    if (seen.has(path)) throw invalidArgument(`files[${i}].path`, `repeats ${JSON.stringify(path.slice(0, 256))}`);
    seen.add(path);
    const sizeBytes = requireInteger(`files[${i}].size_bytes`, file.sizeBytes, 0, Number.MAX_SAFE_INTEGER);
    bytesTotal += sizeBytes;
    return {
      path,
      sizeBytes,
      sha256: requireText(`files[${i}].sha256`, file.sha256, sha256Rules),
      mode: requireInteger(`files[${i}].mode`, file.mode, 0, maxMode),
    };
  });
  if (!Number.isSafeInteger(bytesTotal)) throw invalidArgument('files', 'sizes add up past 2^53 bytes');
  const artifactDir = requireText('artifact_dir', request.artifactDir, {
    min: files.length ? 1 : 0,
    max: 4096,
    pattern: { regex: /^\//, description: 'an absolute path' },
  });
  if (request.unmatchedPatterns.length > maxArtifactPatterns) throw invalidArgument('unmatched_patterns', `must hold at most ${maxArtifactPatterns} patterns`);
  const unmatchedPatterns = request.unmatchedPatterns.map((p, i) => requireText(`unmatched_patterns[${i}]`, p, { max: 1024 }));
  const claimed = requireText('manifest_sha256', request.manifestSha256, sha256Rules);
  const actual = manifestSha256(files);
  if (claimed !== actual) throw invalidArgument('manifest_sha256', `does not match the files (their manifest hash is ${actual})`);
  return { jobRequestId, artifactDir, manifestSha256: claimed, files: files.sort(byPath), bytesTotal, unmatchedPatterns };
}
