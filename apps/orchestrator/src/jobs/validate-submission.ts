import { randomUUID } from 'node:crypto';
import type { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { requirePatterns } from '@jobmesh/artifacts';
import { ArtifactWhen } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';

/** Limits of a submission, documented in the README. */
export const submissionLimits = {
  maxScriptBytes: 1024 * 1024,
  maxEnvEntries: 256,
  maxEnvValueBytes: 64 * 1024,
  maxArtifactPatterns: 100,
  maxTimeoutMs: 24 * 3_600_000,
  maxRepoUrlLength: 2048,
} as const;

/** A checked submission, ready to store. */
export interface Submission {
  requestId: string;
  repoUrl: string;
  commitSha: string;
  runsOn: string;
  script: string;
  env: Record<string, string>;
  /** Secret env, in the clear: only ever kept sealed (see job-service). */
  secretEnv: Record<string, string>;
  timeoutMs: number;
  artifactPatterns: string[];
  /** After which endings the artifacts are collected (UNSPECIFIED resolved to ON_SUCCESS). */
  artifactWhen: ArtifactWhen;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const repoUrl = /^(https?:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|git:\/\/\S+|file:\/\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;
const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks `repo_url`. @throws INVALID_ARGUMENT repo_url */
export function requireRepoUrl(value: string): string {
  if (!value) throw invalidArgument('repo_url', 'is required');
  if (value.length > submissionLimits.maxRepoUrlLength || !repoUrl.test(value)) {
    throw invalidArgument('repo_url', 'must be an https://, ssh://, git://, file:/// or scp-style (user@host:path) URL');
  }
  return value;
}

/** Checks `commit_sha`. @returns it in lower case @throws INVALID_ARGUMENT commit_sha */
export function requireCommitSha(value: string): string {
  const commitSha = value.toLowerCase();
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commitSha)) throw invalidArgument('commit_sha', 'must be a full commit id: 40 or 64 hex digits');
  return commitSha;
}

/** Checks `env` and `secret_env`: key names, sizes, counts, no key in both. @throws INVALID_ARGUMENT naming the entry */
export function requireEnvMaps(env: Record<string, string>, secretEnv: Record<string, string>): void {
  const entries = Object.entries(env);
  const secretEntries = Object.entries(secretEnv);
  if (entries.length > submissionLimits.maxEnvEntries) throw invalidArgument('env', `must have at most ${submissionLimits.maxEnvEntries} entries`);
  if (entries.length + secretEntries.length > submissionLimits.maxEnvEntries) throw invalidArgument('secret_env', `env and secret_env together must have at most ${submissionLimits.maxEnvEntries} entries`);
  for (const [field, list] of [['env', entries], ['secret_env', secretEntries]] as const) {
    for (const [key, value] of list) {
      if (!envKey.test(key)) throw invalidArgument(field, `key ${JSON.stringify(key.slice(0, 64))} must match [A-Za-z_][A-Za-z0-9_]*`);
      if (Buffer.byteLength(value) > submissionLimits.maxEnvValueBytes || value.includes('\0')) {
        throw invalidArgument(`${field}[${key}]`, `must be at most ${submissionLimits.maxEnvValueBytes} bytes without NUL`);
      }
      // The message never echoes a secret value, only its key.
      if (field === 'secret_env' && value === '') throw invalidArgument(`secret_env[${key}]`, 'must not be empty');
      if (field === 'secret_env' && key in env) throw invalidArgument(`secret_env[${key}]`, 'is also in env; a key is either plain or secret');
    }
  }
}

/**
 * Checks every field of SubmitJob (except the label, which vm-runner knows).
 * @throws INVALID_ARGUMENT naming the first field at fault
 */
export function validateSubmission(request: SubmitJobRequest, defaultTimeoutMs: number): Submission {
  if (request.requestId && !uuid.test(request.requestId)) throw invalidArgument('request_id', 'must be a UUID when given');
  requireRepoUrl(request.repoUrl);
  const commitSha = requireCommitSha(request.commitSha);
  if (!request.runsOn) throw invalidArgument('runs_on', 'is required');
  if (!request.script.trim()) throw invalidArgument('script', 'is required');
  if (Buffer.byteLength(request.script) > submissionLimits.maxScriptBytes) throw invalidArgument('script', `must be at most ${submissionLimits.maxScriptBytes} bytes`);
  if (request.script.includes('\0')) throw invalidArgument('script', 'must not contain NUL bytes');
  requireEnvMaps(request.env, request.secretEnv ?? {});
  if (request.timeoutMs < 0 || request.timeoutMs > submissionLimits.maxTimeoutMs || !Number.isSafeInteger(request.timeoutMs)) {
    throw invalidArgument('timeout_ms', `must be from 0 (the default, ${defaultTimeoutMs} ms) to ${submissionLimits.maxTimeoutMs}`);
  }
  const artifactPatterns = requirePatterns('artifact_patterns', request.artifactPatterns, { allowEmpty: true });
  const when = request.artifactWhen || ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS;
  if (!Object.values(ArtifactWhen).includes(when) || when === ArtifactWhen.UNRECOGNIZED) throw invalidArgument('artifact_when', 'must be ON_SUCCESS, ON_FAILURE or ALWAYS');
  return {
    requestId: (request.requestId || randomUUID()).toLowerCase(),
    repoUrl: request.repoUrl,
    commitSha,
    runsOn: request.runsOn,
    script: request.script,
    env: request.env,
    secretEnv: request.secretEnv ?? {},
    timeoutMs: request.timeoutMs || defaultTimeoutMs,
    artifactPatterns,
    artifactWhen: when,
  };
}
