import type { TextRules } from './fields.ts';

/** A repository URL: http(s)://, ssh://, git://, file:// or scp-style. */
export const repoUrlRules: TextRules = {
  max: 2048,
  pattern: {
    regex: /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)\S+$/,
    description: 'an http(s)://, ssh://, git://, file:// or scp-style (user@host:path) URL',
  },
};

/** A commit: SHA-1 or SHA-256 in lower-case hex. */
export const commitShaRules: TextRules = { max: 64, pattern: { regex: /^[0-9a-f]{40}([0-9a-f]{24})?$/, description: '40 or 64 lower-case hex digits' } };

/** A runner label. */
export const labelRules: TextRules = { max: 128, pattern: { regex: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, description: 'letters, digits, dot, dash or underscore' } };

/** A SHA-256 digest in lower-case hex. */
export const sha256Rules: TextRules = { max: 64, pattern: { regex: /^[0-9a-f]{64}$/, description: '64 lower-case hex digits' } };

/** The key of a pipeline job: its manifest id plus its matrix values, sanitized (libs/pipeline-manifest). */
export const pipelineJobKeyRules: TextRules = { max: 1024, pattern: { regex: /^[A-Za-z0-9._-]+$/, description: 'letters, digits, dot, dash or underscore' } };

/** A concurrency group name (empty where optional). */
export const concurrencyGroupRules: TextRules = { max: 128, pattern: { regex: /^[A-Za-z0-9._-]+$/, description: '1 to 128 of [A-Za-z0-9._-]' } };

/** The name of a job step. */
export const stepNameRules: TextRules = { max: 4096 };
