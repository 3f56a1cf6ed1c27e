import { existsSync, readdirSync } from 'node:fs';
import type { BenchContext } from '../bench-types.ts';
import { repeat } from '../repeat.ts';
import { runCommand } from '../run-command.ts';

/** Finds a pgbench: on PATH or under Debian's /usr/lib/postgresql/<version>/bin. */
function findPgbench(): string {
  const dirs = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse() : [];
  for (const version of dirs) {
    const path = `/usr/lib/postgresql/${version}/bin/pgbench`;
    if (existsSync(path)) return path;
  }
  return 'pgbench';
}

/**
 * pgbench TPC-B-like on a database of its own on the bench's server: the server's ceiling
 * in transactions per second on this machine right now.
 * @throws Error when pgbench is missing or fails
 */
export async function runPgbench(ctx: BenchContext, adminUrl: string): Promise<{ tps: number[]; clients: number }> {
  const bin = findPgbench();
  const url = new URL(adminUrl);
  const name = `pgbench_${process.pid}`;
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${name}`;
  await runCommand(bin.replace(/pgbench$/, 'createdb'), ['-h', url.hostname, '-p', url.port, '-U', url.username, name], { env: { PGPASSWORD: url.password } }).catch(async () => {
    await runCommand(bin.replace(/pgbench$/, 'psql'), [adminUrl, '-c', `CREATE DATABASE ${name}`]);
  });
  await runCommand(bin, ['-i', '-q', '-s', '1', dbUrl.toString()]);
  const clients = 4;
  const seconds = ctx.size(10, 2);
  const tps = await repeat({ warmups: 0, reps: ctx.size(3, 1) }, async () => {
    const output = await runCommand(bin, ['-c', String(clients), '-j', '2', '-T', String(seconds), '-n', dbUrl.toString()]);
    const match = /tps = ([\d.]+)/.exec(output);
    if (!match) throw new Error(`pgbench printed no tps: ${output.slice(-500)}`);
    return Number(match[1]);
  });
  return { tps, clients };
}
