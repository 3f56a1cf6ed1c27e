/** A run step as the job's script runs it. */
export interface ScriptStep {
  /** Position of the step in the job (block steps come first and are not in the script). */
  index: number;
  name: string;
  run: string;
}

/** The byte that opens and closes a step marker: ASCII record separator, not found in ordinary output. */
export const markerDelimiter = '\x1e';

/** The text a marker line starts with, for one job's nonce. */
export function markerPrefix(nonce: string): string {
  return `${markerDelimiter}jobmesh-step ${nonce} `;
}

/**
 * The shell script that runs a job's steps in order in one VM: each step's text is written to its
 * own file (a quoted here-document, so nothing in it is expanded) and run with `sh -e` from the
 * workspace with stdin closed, so a step that reads stdin cannot eat the steps after it. Before
 * and after each step the script prints a marker line on stdout and on stderr (`RS jobmesh-step
 * <nonce> <index> start RS` / `... end <exit code> RS`); the orchestrator cuts these out of the log
 * and records each stream's step boundaries (the two streams are read apart, so a step's stderr
 * may arrive before the previous step's stdout end: one set of boundaries could not cut both). A failing step ends the job with its exit code. POSIX sh: runs under busybox
 * ash and dash alike.
 */
export function renderStepsScript(steps: readonly ScriptStep[], nonce: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error('the step nonce must be 16 to 64 lower-case hex digits');
  const delimiter = `JOBMESH_STEP_${nonce}`;
  const lines = [
    `# jobmesh: ${steps.length} step(s), generated from the pipeline manifest`,
    'jm_steps=$(mktemp -d "${TMPDIR:-/tmp}/jobmesh-steps.XXXXXX") || exit 70',
    // \036 is markerDelimiter (RS) in printf's octal form.
    // Each marker goes to stdout and to stderr: the streams are read apart, so each gets its boundaries.
    `jm_mark() { printf '\\036jobmesh-step ${nonce} %s\\036\\n' "$*"; printf '\\036jobmesh-step ${nonce} %s\\036\\n' "$*" >&2; }`,
  ];
  for (const step of steps) {
    lines.push(`# step ${step.index}: ${step.name.replace(/[\r\n]+/g, ' ')}`, `cat > "$jm_steps/${step.index}.sh" <<'${delimiter}'`, step.run.replace(/\n?$/, ''), delimiter);
  }
  lines.push(
    'jm_run() {',
    '  jm_mark "$1 start"',
    '  sh -e "$jm_steps/$1.sh" </dev/null',
    '  jm_rc=$?',
    '  jm_mark "$1 end $jm_rc"',
    '  return $jm_rc',
    '}',
  );
  for (const step of steps) lines.push(`jm_run ${step.index} || { rm -rf "$jm_steps"; exit $jm_rc; }`);
  lines.push('rm -rf "$jm_steps"', 'exit 0', '');
  return lines.join('\n');
}
