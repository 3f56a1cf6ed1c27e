export { createReflectionClient, type DescribedSymbol, type ReflectionClient } from './reflection-client.ts';
export type { JsonMessage, StreamCallOptions } from './invoke-with-bytes.ts';
export { loadReflectedFiles } from './load-reflected-files.ts';
export type { ReflectionVersion } from './open-reflection-stream.ts';
export { withDeadline } from './with-deadline.ts';
export { expectStatus, type ExpectedStatus } from './expect-status.ts';
