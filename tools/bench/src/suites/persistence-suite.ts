import { CreateJobRequest, GetJobRequest, GetJobResponse, TransitionJobRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { jobSpec } from '@jobmesh/persistence/testing';
import pg from 'pg';
import type { Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { repeatInterleaved, throughput } from '../repeat.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { startEchoServer } from '../start-echo-server.ts';
import { runPgbench } from './run-pgbench.ts';

const chunkData = Buffer.alloc(120, 'log line of a busy build step\n');

/**
 * The persistence service's hot paths over gRPC against the same work sent straight to
 * Postgres with `pg` (one connection, sequential), on the same database, and against a bare
 * grpc-js echo server in a process of its own (the transport's cost alone); pgbench gives the
 * server's ceiling. Sides take turns, repetition by repetition.
 */
export const persistenceSuite: Suite = {
  name: 'persistence',
  async run(ctx) {
    const p = await sharedPersistence(ctx);
    const db = new pg.Client({ connectionString: p.database.url });
    await db.connect();
    ctx.onEnd(() => db.end());
    const reps = { warmups: 1, reps: ctx.size(5, 1) };
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

    // Appends: the same batches through AppendLogChunks, as one multi-row INSERT each, and one INSERT per chunk.
    const chunks = ctx.size(2_000, 500);
    const batch = 500;
    const batchesOf = (job: string) => Array.from({ length: chunks / batch }, (_, i) =>
      Array.from({ length: batch }, (_, j) => ({ requestId: job, seq: i * batch + j, stream: LogStream.LOG_STREAM_STDOUT, data: chunkData, createdAt: undefined })));
    ctx.log('  persistence: appends');
    const appends = await repeatInterleaved(reps, {
      grpc: async () => {
        const batches = batchesOf((await newJobs(1))[0]!);
        return (await throughput(batches.length, 1, (i) => p.clients.logs.appendLogChunks({ chunks: batches[i]! }))).opsPerSec * batch;
      },
      multiRow: async () => {
        const batches = batchesOf((await newJobs(1))[0]!);
        return (await throughput(batches.length, 1, (i) => {
          const rows = batches[i]!;
          return db.query('INSERT INTO job_log_chunks (request_id, seq, stream, data) SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::log_stream[], $4::bytea[])',
            [rows.map((r) => r.requestId), rows.map((r) => r.seq), rows.map(() => 'stdout'), rows.map((r) => r.data)]);
        })).opsPerSec * batch;
      },
      perRow: async () => {
        const [job] = await newJobs(1);
        return (await throughput(chunks, 1, (seq) => db.query('INSERT INTO job_log_chunks (request_id, seq, stream, data) VALUES ($1, $2, $3, $4)', [job, seq, 'stdout', chunkData]))).opsPerSec;
      },
    });
    comparisons.push(compare(`append ${chunks} log chunks of ${chunkData.length} B in batches of ${batch}`, figure('AppendLogChunks', 'chunks/s', appends.grpc!),
      figure(`the same batch as one multi-row INSERT (pg, unnest)`, 'chunks/s', appends.multiRow!)));
    comparisons.push(compare(`append ${chunks} log chunks of ${chunkData.length} B, against naive inserts`, figure(`AppendLogChunks, ${batch} per call`, 'chunks/s', appends.grpc!),
      figure('one INSERT per chunk (pg)', 'chunks/s', appends.perRow!), { op: '>=', value: 5, text: 'batched appends ≥ 5× naive inserts' }));

    // Transitions: TransitionJob (compare-and-set + job event, one statement) against the same writes in one transaction.
    const transitions = ctx.size(300, 50);
    const latencies: Record<string, number[]> = {};
    const timed = async (key: string, count: number, op: (i: number) => Promise<unknown>, index: number) => {
      const run = await throughput(count, 1, op);
      if (index >= 0) (latencies[key] ??= []).push(...run.latenciesMs);
      return run.opsPerSec;
    };
    ctx.log('  persistence: transitions');
    const transitionSamples = await repeatInterleaved(reps, {
      grpc: async (index) => {
        const ids = await newJobs(transitions);
        return timed('grpcTransition', ids.length, (i) => p.clients.jobs.transitionJob(TransitionJobRequest.fromPartial({
          requestId: ids[i]!, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_PREPARING, message: 'a slot is free; preparing',
        })), index);
      },
      sql: async (index) => {
        const ids = await newJobs(transitions);
        return timed('sqlTransition', ids.length, async (i) => {
          await db.query('BEGIN');
          const updated = await db.query("UPDATE jobs SET state = 'preparing' WHERE request_id = $1 AND state = 'queued'", [ids[i]]);
          if (updated.rowCount === 1) {
            await db.query("INSERT INTO job_events (request_id, from_state, to_state, message) VALUES ($1, 'queued', 'preparing', 'a slot is free; preparing')", [ids[i]]);
          }
          await db.query('COMMIT');
        }, index);
      },
    });
    comparisons.push(compare('job state transitions, sequential', figure('TransitionJob (CAS + job event)', 'ops/s', transitionSamples.grpc!, latencies.grpcTransition),
      figure('UPDATE + INSERT of the event in one transaction (pg)', 'ops/s', transitionSamples.sql!, latencies.sqlTransition),
      { op: '>=', value: 0.5, text: 'TransitionJob ≥ 0.5× a raw UPDATE + INSERT of the event in one transaction' }));

    // Reads: GetJob against a bare grpc-js echo of the same sizes and against the SELECT.
    const reads = ctx.size(3_000, 200);
    const readIds = await newJobs(100);
    const sample = await p.clients.jobs.getJob({ requestId: readIds[0]! });
    const echo = await startEchoServer(GetJobResponse.encode(sample).finish().length);
    const echoRequest = Buffer.from(GetJobRequest.encode({ requestId: readIds[0]! }).finish());
    ctx.log('  persistence: reads');
    let readSamples: Record<string, number[]>;
    try {
      readSamples = await repeatInterleaved(reps, {
        grpc: (index) => timed('grpcGet', reads, (i) => p.clients.jobs.getJob({ requestId: readIds[i % readIds.length]! }), index),
        echo: (index) => timed('echo', reads, () => echo.call(echoRequest), index),
        sql: (index) => timed('sqlGet', reads, (i) => db.query('SELECT * FROM jobs WHERE request_id = $1', [readIds[i % readIds.length]]), index),
      });
    } finally {
      await echo.stop();
    }
    const getJob = figure('GetJob', 'ops/s', readSamples.grpc!, latencies.grpcGet);
    const echoFigure = figure('bare grpc-js unary echo (own process, same message sizes)', 'ops/s', readSamples.echo!, latencies.echo);
    comparisons.push(compare('read one job, sequential, against the transport alone', getJob, echoFigure,
      { op: '>=', value: 0.8, text: 'GetJob ≥ 0.8× a bare grpc-js unary echo' }));
    comparisons.push(compare('read one job, sequential, against SQL', getJob, figure('SELECT by key (pg)', 'ops/s', readSamples.sql!, latencies.sqlGet)));
    comparisons.push(compare('the transport alone against SQL', echoFigure, figure('SELECT by key (pg)', 'ops/s', readSamples.sql!, latencies.sqlGet)));

    const notes: string[] = [];
    const pgbench = await runPgbench(ctx, p.database.adminUrl).catch((error: unknown) => {
      notes.push(`pgbench did not run: ${String(error).split('\n')[0]}`);
      return undefined;
    });
    if (pgbench) comparisons.push(compare('TransitionJob vs the server\'s ceiling', figure('TransitionJob', 'ops/s', transitionSamples.grpc!), figure(`pgbench TPC-B-like, ${pgbench.clients} clients`, 'tps', pgbench.tps)));
    return {
      what: 'The persistence service (its own process) over gRPC, one client call at a time, against the same work sent straight to the same database '
        + 'with `pg` on one connection: log-chunk appends, job state transitions, reads of one job; and reads against a bare grpc-js unary echo server in '
        + 'a process of its own answering with as many bytes as GetJob does (what the transport costs with no handler and no database). pgbench '
        + '(TPC-B-like, Postgres 15\'s client against the same server) shows what the server itself can do. Sides take turns, repetition by repetition.',
      comparisons,
      notes: [
        ...notes,
        'TransitionJob is one statement (a compare-and-set UPDATE that inserts the job event and notifies watchers); the baseline sends the same '
          + 'UPDATE and INSERT in a transaction of its own (BEGIN, UPDATE, INSERT, COMMIT).',
        ...(comparisons.find((c) => c.name.startsWith('job state transitions'))?.met === false ? [
          'TransitionJob goal missed in this run (full runs of 2026-12-06: 0.495×, 0.458×, 0.484×; 0.70× once under load). Measured apart (one client, 300 transitions a side, medians): the statement alone, sent with pg, takes 0.45 to 0.56 ms against the baseline\'s 0.61 to 0.64 ms; through slonik 0.55 to 0.64 ms; through persistence over gRPC 0.95 to 1.2 ms. So the gap is the hop, not the SQL: a sequential '
            + 'TransitionJob pays the gRPC hop (about the echo\'s 0.25 ms) and a wake-up of persistence on top of its one statement, while the '
            + 'baseline\'s four statements run on one open connection at about 0.15 ms each. Done: the final transition of a job without pipeline, '
            + 'step or hold is one statement (it was a transaction of four or five), no instrumentation without an exporter.',
        ] : []),
        ...(comparisons.find((c) => c.name.startsWith('read one job') && c.goal)?.met === false ? [
          'GetJob goal missed, and out of reach without a cache: the echo\'s own round trip and the SELECT\'s cost about the same here (the third row), '
            + 'so a GetJob that reads Postgres takes at least their sum, about 0.5× the echo, before any handler work; the goal (persistence adding at most '
            + 'a quarter of the transport\'s cost) needs the read served from memory. A cache of job rows kept right by the job NOTIFY channel was '
            + 'considered and not built: a missed invalidation would serve a stale state for good. Measured in isolation: slonik adds about 50 µs (20 µs '
            + 'of CPU) per query over a raw pg named statement; the rest of the gap is the two more wake-ups of a call that crosses three processes. '
            + 'What was done for every call (issue 20): no OpenTelemetry SDK or gRPC/pg instrumentation without an exporter (the instrumentations '
            + 'made a span and parsed metadata on every call and query), contracts loaded as JavaScript.',
        ] : []),
      ],
    };
  },
};
