import { CreateJobRequest, TransitionJobRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { jobSpec } from '@jobmesh/persistence/testing';
import pg from 'pg';
import type { Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { repeat, throughput } from '../repeat.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { runPgbench } from './run-pgbench.ts';

const chunkData = Buffer.alloc(120, 'log line of a busy build step\n');

/**
 * The persistence service's hot paths over gRPC against the same statements sent straight
 * to Postgres with `pg` (one connection, sequential: the naive client a service would
 * otherwise write), on the same database; pgbench gives the server's ceiling.
 */
export const persistenceSuite: Suite = {
  name: 'persistence',
  async run(ctx) {
    const p = await sharedPersistence(ctx);
    const db = new pg.Client({ connectionString: p.database.url });
    await db.connect();
    ctx.onEnd(() => db.end());
    const reps = { warmups: 1, reps: ctx.size(3, 1) };
    const comparisons: Comparison[] = [];
    const newJobs = async (count: number) => {
      const ids: string[] = [];
      await throughput(count, 8, async () => {
        const spec = jobSpec();
        // fromPartial: fields added to the contract later get their defaults.
        await p.clients.jobs.createJob(CreateJobRequest.fromPartial({ spec }));
        ids.push(spec.requestId);
      });
      return ids;
    };

    // Full-run sizes are small because the baseline commits (and fsyncs) once per statement on this shared disk.
    const chunks = ctx.size(2_000, 500);
    const batch = 500;
    const grpcAppend = await repeat(reps, async () => {
      const [job] = await newJobs(1);
      const all = Array.from({ length: chunks }, (_, seq) => ({ requestId: job!, seq, stream: LogStream.LOG_STREAM_STDOUT, data: chunkData, createdAt: undefined }));
      const batches = Array.from({ length: chunks / batch }, (_, i) => all.slice(i * batch, (i + 1) * batch));
      return (await throughput(batches.length, 1, (i) => p.clients.logs.appendLogChunks({ chunks: batches[i]! }))).opsPerSec * batch;
    });
    const naiveAppend = await repeat(reps, async () => {
      const [job] = await newJobs(1);
      return (await throughput(chunks, 1, (seq) => db.query('INSERT INTO job_log_chunks (request_id, seq, stream, data) VALUES ($1, $2, $3, $4)', [job, seq, 'stdout', chunkData]))).opsPerSec;
    });
    comparisons.push(compare(`append ${chunks} log chunks of ${chunkData.length} B`, figure(`AppendLogChunks, ${batch} per call`, 'chunks/s', grpcAppend), figure('one INSERT per chunk (pg)', 'chunks/s', naiveAppend), { op: '>=', value: 5, text: 'batched appends ≥ 5× naive inserts' }));

    const transitions = ctx.size(300, 50);
    let grpcTransitionLatencies: number[] = [];
    const grpcTransition = await repeat(reps, async () => {
      const ids = await newJobs(transitions);
      const run = await throughput(ids.length, 1, (i) => p.clients.jobs.transitionJob(TransitionJobRequest.fromPartial({ requestId: ids[i]!, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_PREPARING })));
      grpcTransitionLatencies = run.latenciesMs;
      return run.opsPerSec;
    });
    let rawTransitionLatencies: number[] = [];
    const rawTransition = await repeat(reps, async () => {
      const ids = await newJobs(transitions);
      const run = await throughput(ids.length, 1, (i) => db.query("UPDATE jobs SET state = 'preparing' WHERE request_id = $1 AND state = 'queued'", [ids[i]]));
      rawTransitionLatencies = run.latenciesMs;
      return run.opsPerSec;
    });
    comparisons.push(compare('job state transitions, sequential', figure('TransitionJob (CAS + job event)', 'ops/s', grpcTransition, grpcTransitionLatencies), figure('raw UPDATE (pg)', 'ops/s', rawTransition, rawTransitionLatencies)));

    const reads = ctx.size(3_000, 200);
    const readIds = await newJobs(100);
    let grpcGetLatencies: number[] = [];
    const grpcGet = await repeat(reps, async () => {
      const run = await throughput(reads, 1, (i) => p.clients.jobs.getJob({ requestId: readIds[i % readIds.length]! }));
      grpcGetLatencies = run.latenciesMs;
      return run.opsPerSec;
    });
    let sqlGetLatencies: number[] = [];
    const sqlGet = await repeat(reps, async () => {
      const run = await throughput(reads, 1, (i) => db.query('SELECT * FROM jobs WHERE request_id = $1', [readIds[i % readIds.length]]));
      sqlGetLatencies = run.latenciesMs;
      return run.opsPerSec;
    });
    comparisons.push(compare('read one job, sequential', figure('GetJob', 'ops/s', grpcGet, grpcGetLatencies), figure('SELECT by key (pg)', 'ops/s', sqlGet, sqlGetLatencies), { op: '>=', value: 0.5, text: 'gRPC GetJob ≥ 0.5× direct SQL' }));

    const notes: string[] = [];
    const pgbench = await runPgbench(ctx, p.database.adminUrl).catch((error: unknown) => {
      notes.push(`pgbench did not run: ${String(error).split('\n')[0]}`);
      return undefined;
    });
    if (pgbench) comparisons.push(compare('TransitionJob vs the server\'s ceiling', figure('TransitionJob', 'ops/s', grpcTransition), figure(`pgbench TPC-B-like, ${pgbench.clients} clients`, 'tps', pgbench.tps)));
    return {
      what: 'The persistence service (its own process) over gRPC, one client call at a time, against the same work sent straight to the same '
        + 'database with `pg` on one connection: log-chunk appends, job state transitions, reads of one job. pgbench (TPC-B-like, '
        + 'Postgres 15\'s client against the same server) shows what the server itself can do.',
      comparisons,
      notes: [
        ...notes,
        'GetJob goal missed; what was tried (2026-11-25): --cpu-prof and strace of persistence under a sequential GetJob loop showed two extra '
          + 'round trips per call: slonik\'s `DISCARD ALL` after every pooled query (now off: `resetConnection` is a no-op, pooled connections hold no '
          + 'session state) and the trace-id header sent before the handler ran (now sent with the reply); grpc-kit no longer builds an '
          + 'AbortController per call (grpc-js emits `cancelled` on every stream close), and the pg instrumentation loads only when spans are '
          + 'exported. Same-run A/B: GetJob 0.12× → 0.16× and 0.11× → 0.16×, TransitionJob 0.09× → 0.14× and 0.05× → 0.14×. Why 0.5× is out '
          + 'of reach on this path: a bare grpc-js echo server in its own process, no database, already runs at 0.2 to 0.3× of a pg SELECT here '
          + '(p50 0.6 to 0.95 ms per unary call on loopback). Not done: prepared statements or a path around slonik and zod for the hot reads.',
        'TransitionJob does more than the baseline\'s UPDATE: a compare-and-set that also inserts a job event and returns the job, in one transaction.',
      ],
    };
  },
};
