#!/bin/sh
# Runs the job from the cidata seed, as the leader of its own session / process group (the
# agent starts it under setsid, so KILL reaches everything it started):
#   jobmesh/env            lines KEY=<base64 value>, exported (trailing newlines of values are lost)
#   jobmesh/workspace.tar  optional, unpacked into the working directory /mnt/disk/work
#   jobmesh/script.sh      run with sh in that directory
# Exit 125 means the payload was unusable (bad env name, broken tar, no script).
# JOBMESH_SEED (the mounted seed) and JOBMESH_WORK_DIR are set by cloud-init guests' start.sh.
seed=${JOBMESH_SEED:-/seed}
work=${JOBMESH_WORK_DIR:-/mnt/disk/work}
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin HOME=/root JOBMESH_WORKSPACE="$work"
if [ -f "$seed/jobmesh/env" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] || continue
    key=${line%%=*}
    case $key in
      '' | [0-9]* | *[!A-Za-z0-9_]*) echo "jobmesh: bad environment variable name: $key" >&2; exit 125 ;;
    esac
    value=$(printf '%s' "${line#*=}" | base64 -d) || { echo "jobmesh: bad base64 value for $key" >&2; exit 125; }
    export "$key=$value"
  done <"$seed/jobmesh/env"
fi
mkdir -p "$work" && cd "$work" || exit 125
if [ -f "$seed/jobmesh/workspace.tar" ]; then
  tar -xf "$seed/jobmesh/workspace.tar" || { echo "jobmesh: cannot unpack workspace.tar" >&2; exit 125; }
fi
[ -f "$seed/jobmesh/script.sh" ] || { echo "jobmesh: no jobmesh/script.sh in the seed" >&2; exit 125; }
exec sh "$seed/jobmesh/script.sh"
