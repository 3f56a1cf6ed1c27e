import { z } from 'zod';

/**
 * TLS settings of one process: its servers and its clients share them. Paths
 * only; libs/grpc-kit reads the files when it builds credentials.
 */
export interface TlsConfig {
  /** PEM certificate chain this process presents (server cert; client cert under mutual TLS). */
  certFile?: string;
  /** PEM private key of certFile. */
  keyFile?: string;
  /** PEM CA bundle that peers' certificates must chain to; unset = the system roots (clients only). */
  caFile?: string;
  /** Servers require and verify a client certificate (mutual TLS). @default false */
  clientAuth: boolean;
  /** Name clients check the server certificate against instead of the dialled host. */
  serverName?: string;
}

/** Environment variables of TLS, the same in every service, the CLI and the dev tools. */
export const tlsVariables = {
  cert: 'JOBMESH_TLS_CERT',
  key: 'JOBMESH_TLS_KEY',
  ca: 'JOBMESH_TLS_CA',
  clientAuth: 'JOBMESH_TLS_CLIENT_AUTH',
  serverName: 'JOBMESH_TLS_SERVER_NAME',
} as const;

const path = z.string().min(1).optional();

/** zod shape of the TLS variables, to spread into a service's schema. */
export const tlsEnvShape = {
  /** Certificate (PEM) the process presents; with JOBMESH_TLS_KEY. Unset (with CA unset) = plaintext. */
  JOBMESH_TLS_CERT: path,
  /** Private key (PEM) of JOBMESH_TLS_CERT. */
  JOBMESH_TLS_KEY: path,
  /** CA bundle (PEM) peers must chain to. @default the system roots */
  JOBMESH_TLS_CA: path,
  /** `require`: servers demand a client certificate signed by JOBMESH_TLS_CA (mutual TLS). @default none */
  JOBMESH_TLS_CLIENT_AUTH: z.enum(['none', 'require']).default('none'),
  /** Name to verify server certificates against (e.g. when dialling an IP not in the SANs). */
  JOBMESH_TLS_SERVER_NAME: z.string().min(1).max(253).optional(),
};

type TlsEnv = z.infer<z.ZodObject<typeof tlsEnvShape>>;

/** Problems of a combination of TLS variables, as `VARIABLE: problem` pairs. */
export function tlsEnvProblems(env: TlsEnv): Array<{ variable: string; problem: string }> {
  const problems: Array<{ variable: string; problem: string }> = [];
  if (env.JOBMESH_TLS_CERT && !env.JOBMESH_TLS_KEY) problems.push({ variable: tlsVariables.key, problem: 'is required with JOBMESH_TLS_CERT' });
  if (env.JOBMESH_TLS_KEY && !env.JOBMESH_TLS_CERT) problems.push({ variable: tlsVariables.cert, problem: 'is required with JOBMESH_TLS_KEY' });
  if (env.JOBMESH_TLS_CLIENT_AUTH === 'require' && (!env.JOBMESH_TLS_CA || !env.JOBMESH_TLS_CERT)) {
    problems.push({ variable: tlsVariables.clientAuth, problem: 'require needs JOBMESH_TLS_CA, JOBMESH_TLS_CERT and JOBMESH_TLS_KEY' });
  }
  return problems;
}

/** zod superRefine step that reports bad TLS combinations under their variable names. */
export function refineTlsEnv(env: TlsEnv, ctx: z.RefinementCtx): void {
  for (const { variable, problem } of tlsEnvProblems(env)) ctx.addIssue({ code: 'custom', path: [variable], message: problem });
}

/** Placeholder in JOBMESH_TLS_CERT and JOBMESH_TLS_KEY replaced by the process's own name. */
export const tlsServicePlaceholder = '{service}';

/**
 * The TlsConfig of parsed TLS variables; undefined when TLS is off (no certificate and no CA).
 * `{service}` in the certificate and key paths becomes `name` (`orchestrator`, `persistence`,
 * `vm-runner`, `fsops`, the CLI's `client`), so one set of variables gives every process its
 * own certificate, e.g. `JOBMESH_TLS_CERT=.jobmesh/certs/{service}.crt`.
 */
export function toTlsConfig(env: TlsEnv, name?: string): TlsConfig | undefined {
  if (!env.JOBMESH_TLS_CERT && !env.JOBMESH_TLS_CA) return undefined;
  const own = (path: string | undefined) => (path && name ? path.replaceAll(tlsServicePlaceholder, name) : path);
  return {
    certFile: own(env.JOBMESH_TLS_CERT),
    keyFile: own(env.JOBMESH_TLS_KEY),
    caFile: env.JOBMESH_TLS_CA,
    clientAuth: env.JOBMESH_TLS_CLIENT_AUTH === 'require',
    serverName: env.JOBMESH_TLS_SERVER_NAME,
  };
}

const tlsEnvSchema = z.object(tlsEnvShape).superRefine(refineTlsEnv);

/**
 * Reads the TLS variables from `env`, for programs without a config schema of
 * their own (the CLI, dev tools, tests); `name` replaces `{service}` (see toTlsConfig).
 * @returns undefined when none is set (plaintext, as before TLS existed)
 * @throws Error listing every bad variable
 */
export function loadTlsConfig(env: Record<string, string | undefined> = process.env, name?: string): TlsConfig | undefined {
  const result = tlsEnvSchema.safeParse(env);
  if (!result.success) {
    throw new Error(`invalid TLS configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return toTlsConfig(result.data, name);
}
