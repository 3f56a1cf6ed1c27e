/** Where a cloud-init guest keeps the agent, the mounted seed and the job's working directory. */
export const cloudGuestHome = '/var/lib/jobmesh';

/**
 * Mounts the cidata seed and starts the agent detached from cloud-init: as a transient systemd
 * unit where systemd runs (so cloud-init finishing does not end it), else with setsid.
 */
const startScript = `#!/bin/sh
set -u
home=${cloudGuestHome}
mkdir -p "$home/seed" "$home/work" /run/jobmesh
dev=$(blkid -L cidata 2>/dev/null || findfs LABEL=cidata 2>/dev/null)
[ -n "$dev" ] && { mountpoint -q "$home/seed" || mount -o ro "$dev" "$home/seed"; }
set -- JOBMESH_HOME="$home/bin" JOBMESH_SEED="$home/seed" JOBMESH_WORK_DIR="$home/work"
if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
  systemd-run --unit=jobmesh-agent --collect --setenv="$1" --setenv="$2" --setenv="$3" /bin/sh "$home/bin/agent.sh"
else
  env "$@" setsid /bin/sh "$home/bin/agent.sh" </dev/null >/dev/null 2>&1 &
fi
`;

/**
 * The NoCloud `user-data` of a VM: a `#cloud-config` that writes the guest agent (POSIX sh, so any
 * Linux guest runs it) with `write_files` and starts it with `runcmd`; the job itself (script,
 * env, workspace) stays on the seed under `jobmesh/`, where the agent's job.sh reads it. The
 * scripts are base64 in the YAML, so no quoting can break it. The test guest ignores user-data
 * (its own init starts the agent).
 */
export function buildCloudConfig(scripts: Record<string, string>): string {
  const files = { ...scripts, 'start.sh': startScript };
  const entries = Object.entries(files).map(([name, text]) => [
    `  - path: ${cloudGuestHome}/bin/${name}`,
    `    permissions: '0700'`,
    `    encoding: b64`,
    `    content: ${Buffer.from(text).toString('base64')}`,
  ].join('\n'));
  return ['#cloud-config', '# jobmesh: installs and starts the guest agent; the job is in jobmesh/ on this seed.', 'write_files:', ...entries, 'runcmd:', `  - [ sh, ${cloudGuestHome}/bin/start.sh ]`, ''].join('\n');
}
