import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/**
 * Queues a job in a concurrency group (once: a job already queued keeps its place) and counts the
 * jobs queued before it. Call inside a transaction: the group's advisory lock, held to its end,
 * makes places be given in the order they commit, so two jobs never both see nobody ahead.
 * @returns null when the job does not exist
 */
export async function acquireConcurrencyGroup(db: CommonQueryMethods, group: string, jobRequestId: string) {
  await db.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`jobmesh.concurrency:${group}`}, 0))`);
  await db.query(sql.unsafe`
    INSERT INTO concurrency_holds (group_name, job_request_id)
    SELECT ${group}, request_id FROM jobs WHERE request_id = ${jobRequestId}
    ON CONFLICT (group_name, job_request_id) DO NOTHING`);
  return db.maybeOne(sql.type(z.object({ ahead: z.number() }))`
    SELECT (SELECT count(*) FROM concurrency_holds o WHERE o.group_name = h.group_name AND o.seq < h.seq)::int8 AS ahead
    FROM concurrency_holds h WHERE h.group_name = ${group} AND h.job_request_id = ${jobRequestId}`);
}

/** Takes a job out of a group, holding it or waiting; nothing when it is not in it. */
export async function releaseConcurrencyGroup(db: CommonQueryMethods, group: string, jobRequestId: string): Promise<void> {
  await db.query(sql.unsafe`DELETE FROM concurrency_holds WHERE group_name = ${group} AND job_request_id = ${jobRequestId}`);
}

/** Takes an ended job out of every group: a hold its workflow could not release never blocks a group. */
export async function releaseHoldsOfJob(db: CommonQueryMethods, jobRequestId: string): Promise<void> {
  await db.query(sql.unsafe`DELETE FROM concurrency_holds WHERE job_request_id = ${jobRequestId}`);
}
