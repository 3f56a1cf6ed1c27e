/** Severity of a log line, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Extra fields of a log line; errors are flattened to name, message and stack. */
export type LogFields = Record<string, unknown>;

/** Writes structured JSON log lines. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra fields added to every line at write time (issue 7 adds trace and span ids here). */
export type FieldSource = () => LogFields | undefined;
const fieldSources: FieldSource[] = [];

/** Registers a source of fields added to every log line, e.g. the active trace context. */
export function addLogFieldSource(source: FieldSource): void {
  fieldSources.push(source);
}

function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    if ('code' in value) out.code = (value as { code: unknown }).code;
    if (value.cause !== undefined) out.cause = serialize(value.cause);
    return out;
  }
  return value;
}

/**
 * Creates a logger writing one JSON object per line to `sink` (stdout by default).
 * @param service name stamped on every line, e.g. `persistence`
 * @param options.level lowest level written; @default `JOBMESH_LOG_LEVEL` or `info`
 */
export function createLogger(
  service: string,
  options: { level?: LogLevel; sink?: (line: string) => void; fields?: LogFields } = {},
): Logger {
  const level = options.level ?? ((process.env.JOBMESH_LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const threshold = rank[level] ?? rank.info;
  const sink = options.sink ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.fields ?? {};

  const write = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (rank[lvl] < threshold) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, service, message };
    for (const source of fieldSources) Object.assign(line, source());
    for (const [key, value] of Object.entries({ ...base, ...fields })) line[key] = serialize(value);
    sink(JSON.stringify(line));
  };

  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(service, { level, sink, fields: { ...base, ...fields } }),
  };
}
