export { createRecordBuffer } from './create-record-buffer.ts';
export type { RecordBuffer, RecordBufferOptions, RecordBufferStats } from './create-record-buffer.ts';
