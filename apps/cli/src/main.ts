import { assertSupportedNode } from '@jobmesh/config';
import { MeshError, status } from '@jobmesh/grpc-kit';
import { cancel, jobs, logs, show, submit } from './commands/job-commands.ts';
import { admin } from './commands/admin-commands.ts';
import { artifacts } from './commands/artifact-commands.ts';
import { labels, ops, vms } from './commands/operation-commands.ts';
import { approve, pipeline, pipelines, retry } from './commands/pipeline-commands.ts';
import { run } from './commands/run-pipeline.ts';
import { createApi } from './create-api.ts';
import { InputError, parseArgs, UsageError } from './parse-args.ts';

assertSupportedNode();

const usage = `jobmesh: run CI jobs in VMs (talks to the public API at $JOBMESH_ADDR, default 127.0.0.2:50051)

  jobmesh submit --repo URL --commit SHA --runs-on LABEL [--env K=V]... [--secret-env K]... [--timeout MS]
                 [--artifact GLOB]... [--artifact-when on_success|on_failure|always] [--id UUID] [--follow] -- COMMANDS...
  jobmesh artifacts ID                         the job's artifacts (path, size, sha256, mode)
  jobmesh artifacts get ID PATH [-o FILE]      one artifact (to stdout without -o), sha256 verified
  jobmesh artifacts get ID --all -o DIR        every artifact, under DIR
  jobmesh jobs [--state S]... [--runs-on LABEL] [--repo URL] [--limit N]
  jobmesh show ID
  jobmesh logs ID [-f] [--from OFFSET] [--step N|NAME]
                                               --step: one step of a pipeline job (with -f: until it ended)
  jobmesh cancel ID [--reason TEXT]            a job, or else the pipeline with that id
  jobmesh run [--file PATH] [--follow] [--allow-dirty] [--env K=V]... [--secret-env K]...
                                               run the pipeline of the git repository around this directory
                                               (file://<root>) at HEAD; PATH is relative to the root (default
                                               .jobmesh.yml); a working tree that differs from HEAD is refused
                                               unless --allow-dirty (HEAD still runs, without the changes)
  jobmesh pipelines [--state S]... [--repo URL] [--limit N]
  jobmesh pipeline ID                          the jobs as a tree (each under the jobs it needs) with their steps
  jobmesh retry ID [--failed] [--follow]       run an ended pipeline again: every job, or only failed/cancelled/skipped
  jobmesh approve ID JOB STEP                  approve a block step (STEP: its name or index; JOB: the job's key)
  jobmesh vms [--job ID]
  jobmesh vms --console VM_ID [--bytes N]   the end of a VM's serial console (kept after it is destroyed)
  jobmesh labels                               runs_on labels per vm-runner: slots, available or why not, accelerator
  jobmesh ops ID
  jobmesh admin prune [--dry-run] [--older-than-days N | --older-than TIME]
                                               apply retention now (admin token): ended history past the cutoff
                                               (default: the mesh's JOBMESH_RETENTION_* days) goes; --dry-run counts only

  --json   machine-readable output
  --secret-env K  sends $K as a secret: stored encrypted, masked as *** in logs and in show
  JOBMESH_TOKEN   bearer token sent with every call; JOBMESH_TLS_CA / _CERT / _KEY turn TLS on
  submit --follow exits with the job's exit code (124 timed out, 130 cancelled).
  run --follow and retry --follow print each job's changes (and how to approve a block step) and exit
  0 when the pipeline succeeded, 1 when it failed or was cancelled.
  Exit 2: a command line or input the command cannot use (a dirty tree, a manifest with mistakes).`;

const commands = { submit, jobs, show, logs, cancel, run, pipelines, pipeline, retry, approve, vms, labels, ops, artifacts, admin } as const;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['follow', 'f', 'json', 'help', 'h', 'all', 'dry-run', 'allow-dirty', 'failed']));
  if (args.command === 'help' || args.flags.has('help') || args.flags.has('h')) return process.stdout.write(usage + '\n'), 0;
  const command = commands[args.command as keyof typeof commands];
  if (!command) throw new UsageError(`unknown command ${args.command}`);
  const api = createApi();
  try {
    return await command(api, args, args.flags.has('json'));
  } finally {
    api.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`jobmesh: ${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    if (error instanceof InputError) {
      process.stderr.write(`jobmesh: ${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof MeshError) {
      const where = error.code === status.UNAVAILABLE ? ` (is the mesh running at ${process.env.JOBMESH_ADDR || '127.0.0.2:50051'}?)` : '';
      process.stderr.write(`jobmesh: ${status[error.code]}: ${error.message}${where}\n`);
      process.exit(1);
    }
    process.stderr.write(`jobmesh: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
