export { addLogFieldSource, createLogger } from './create-logger.ts';
export type { Logger, LogFields, LogLevel } from './create-logger.ts';
