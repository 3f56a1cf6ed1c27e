import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * The rows a 5-step durable workflow leaves in Postgres, written straight with `pg` in the
 * fewest statements the schema allows: create (pending), claim (lease), one checkpoint per
 * step, complete. What the durable runtime would cost with no gRPC hop and no runtime
 * bookkeeping: the floor for the same durability on the same tables.
 */
export async function runDirectSqlWorkflow(pool: pg.Pool, steps: number, onCheckpoint: (ms: number) => void): Promise<void> {
  const id = randomUUID();
  // A name no runtime of the bench registers: a runtime polling the same database for `bench/five-steps` used to claim
  // this row between the INSERT and the UPDATE and write its step rows first (a duplicate-key failure of the suite under load).
  await pool.query("INSERT INTO workflows (id, name, status, input_json) VALUES ($1, 'bench/five-steps-direct-sql', 'pending', '{}')", [id]);
  const claim = await pool.query("UPDATE workflows SET status = 'running', lease_owner = 'bench', lease_expires_at = now() + interval '15 seconds', fencing_token = fencing_token + 1 WHERE id = $1 AND status = 'pending'", [id]);
  if (claim.rowCount !== 1) throw new Error(`direct-SQL workflow ${id} was claimed by someone else between its INSERT and its claim`);
  for (let step = 0; step < steps; step++) {
    const began = performance.now();
    await pool.query("INSERT INTO workflow_steps (workflow_id, step_number, name, status, output_json, started_at, finished_at) VALUES ($1, $2, $3, 'succeeded', 'null', now(), now())", [id, step, `step-${step}`]);
    onCheckpoint(performance.now() - began);
  }
  await pool.query("UPDATE workflows SET status = 'succeeded', output_json = 'null', lease_owner = NULL WHERE id = $1", [id]);
}
