import type { Api } from '../create-api.ts';
import { formatTable, formatTime, toJson } from '../format.ts';
import { flag, UsageError, type ParsedArgs } from '../parse-args.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const dayMs = 24 * 3_600_000;

/** The `--older-than-days N` or `--older-than ISO-TIME` cutoff; undefined = the mesh's configured retention. */
function olderThanOf(args: ParsedArgs): Date | undefined {
  const days = flag(args, 'older-than-days');
  const time = flag(args, 'older-than');
  if (days !== undefined && time !== undefined) throw new UsageError('give --older-than-days or --older-than, not both');
  if (days !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(days)) throw new UsageError(`--older-than-days needs a number of days, got ${days}`);
    return new Date(Date.now() - Number(days) * dayMs);
  }
  if (time !== undefined) {
    const date = new Date(time);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--older-than needs a time such as 2026-01-31T00:00:00Z, got ${time}`);
    return date;
  }
  return undefined;
}

/** `jobmesh admin prune [--dry-run] [--older-than-days N | --older-than TIME]`: applies retention now (admin token). */
export async function admin(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const [sub] = args.positionals;
  if (sub !== 'prune') throw new UsageError(sub ? `unknown admin command ${sub}` : 'admin needs a command: prune');
  const answer = await api.admin.pruneHistory({ dryRun: args.flags.has('dry-run'), olderThan: olderThanOf(args) });
  if (json) return out(toJson(answer)), 0;
  out(answer.dryRun ? 'dry run: nothing was deleted; this would go:' : 'pruned:');
  out(formatTable(['KIND', 'COUNT', 'BYTES', 'ENDED BEFORE'], answer.kinds.map((k) =>
    [k.kind, String(k.count), k.bytes ? String(k.bytes) : '-', k.cutoff ? formatTime(k.cutoff) : 'kept forever'])));
  for (const warning of answer.warnings) out(`warning: ${warning}`);
  return 0;
}
