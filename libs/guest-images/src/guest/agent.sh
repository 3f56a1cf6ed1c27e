#!/bin/sh
# jobmesh guest agent (busybox ash). Speaks the JM1 framed protocol (see PROTOCOL.md) on the
# virtio-serial port named jobmesh.agent.
#
# Why it is built this way:
# - A virtio-serial port can be opened once (EBUSY after), so fd 3 is opened here and shared.
# - Every frame goes through one FIFO drained by one `cat` into the port, so frames from the
#   job's stdout pump, stderr pump and this loop never interleave (each frame is one write
#   of < PIPE_BUF bytes). While the host is not connected, the port blocks writes: frames
#   wait in the FIFO (then the job blocks on its output) instead of being lost.
# - Reading the port returns EOF at once while the host is not connected: the loop sleeps
#   and reads again.
# - State lives in /run/jobmesh (state, job.pid, exit), so HELLO and RUN after a host
#   reconnect can answer with the job's state or its recorded exit code.
set -u
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
port_name=jobmesh.agent
run=/run/jobmesh
chunk_bytes=1536
# Where job.sh and poweroff.sh live (/jobmesh in the test guest; cloud-init guests set it).
home=${JOBMESH_HOME:-/jobmesh}
# The job's working directory (job.sh runs the script there); LIST and GET stay inside it.
work=${JOBMESH_WORK_DIR:-/mnt/disk/work}
# Base64 characters per LS/DATA frame: 2304 bytes, so a frame stays under PIPE_BUF.
frame_chars=3072
mkdir -p "$run"

find_port() {
  i=0
  while [ $i -lt 200 ]; do
    for dir in /sys/class/virtio-ports/*; do
      [ -r "$dir/name" ] || continue
      if [ "$(cat "$dir/name")" = "$port_name" ] && [ -c "/dev/${dir##*/}" ]; then
        echo "/dev/${dir##*/}"
        return 0
      fi
    done
    i=$((i + 1)); sleep 0.05
  done
  return 1
}

port=$(find_port) || {
  echo "jobmesh-agent: no virtio port named $port_name; ports: $(ls /sys/class/virtio-ports 2>&1) $(cat /sys/class/virtio-ports/*/name 2>&1); dev: $(ls /dev | tr '\n' ' ')" >/dev/console
  exit 1
}
exec 3<>"$port"
rm -f "$run/tx"; mkfifo "$run/tx"
# Opened read-write so the FIFO never reaches EOF while the agent lives.
exec 4<>"$run/tx"
cat <&4 >&3 &
[ -f "$run/state" ] || echo idle >"$run/state"

# kill_group SIGNAL PGID: dash wants `kill -s SIG -- -PGID`, busybox ash `kill -s SIG -PGID`.
kill_group() { kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "-$2" 2>/dev/null; }

b64() { printf '%s' "$1" | base64 -w 0; }
# send TYPE TEXT: one frame, payload = base64(TEXT).
send() { printf 'JM1 %s %s\n' "$1" "$(b64 "$2")" >&4; }

send_ready() {
  read -r up _ </proc/uptime
  send READY "{\"kernel\":\"$(uname -r)\",\"agent\":1,\"uptime\":$up}"
}

send_state() {
  read -r state code <"$run/state"
  case $state in
    running) send STATE "{\"job\":\"running\",\"pid\":$(cat "$run/job.pid" 2>/dev/null || echo 0)}" ;;
    exited) send STATE "{\"job\":\"exited\",\"exitCode\":$code}" ;;
    *) send STATE '{"job":"idle"}' ;;
  esac
}

# pump TYPE FIFO: forwards bytes as they come (dd does one read: whatever is available).
pump() {
  while :; do
    chunk=$(dd bs=$chunk_bytes count=1 2>/dev/null | base64 -w 0)
    [ -n "$chunk" ] || break
    printf 'JM1 %s %s\n' "$1" "$chunk" >&4
  done <"$2"
}

# frames TYPE: stdin's bytes as TYPE frames (one base64 and one sed for the whole stream).
frames() { base64 -w "$frame_chars" | sed "s/^/JM1 $1 /" >&4; }

# list_entries ROOT...: `F <raw mode hex> <size> <path>` per file or symlink (find + stat), then
# `L <file|dir|missing> <size> <raw mode hex> <path>\t<target>` per symlink with where it
# resolves. A root that resolves outside the working directory is reported as such a link and
# not walked. Run inside the working directory; .git folders are not entered.
list_entries() {
  real=$(pwd -P)
  for root in "$@"; do
    # ./ first: a root such as `-delete` is a path to find and readlink, never an option.
    case $root in /* | ./*) ;; *) root="./$root" ;; esac
    [ -e "$root" ] || [ -L "$root" ] || continue
    target=$(readlink -f "$root" 2>/dev/null)
    case $target in
      "$real" | "$real"/*) ;;
      *) printf 'L dir 0 0 %s\t%s\n' "$root" "$target"; continue ;;
    esac
    find "$root" -name .git -prune -o \( -type f -o -type l \) -exec stat -c 'F %f %s %n' {} +
    find "$root" -name .git -prune -o -type l -print | while IFS= read -r link; do
      target=$(readlink -f "$link" 2>/dev/null)
      if [ -f "$link" ]; then info="file $(stat -L -c '%s %f' "$link")"
      elif [ -d "$link" ]; then info='dir 0 0'
      else info='missing 0 0'
      fi
      printf 'L %s %s\t%s\n' "$info" "$link" "$target"
    done
  done
}

# LIST: payload = listing roots, one per line, relative to the working directory.
list_files() {
  roots=$(printf '%s' "$1" | base64 -d 2>/dev/null)
  real=$(cd "$work" 2>/dev/null && pwd -P) || { send LSEND ''; return; }
  # Word splitting on newlines only, globbing is off (set -f).
  old_ifs=$IFS; IFS='
'
  # shellcheck disable=SC2086
  (cd "$real" && list_entries $roots) 2>/dev/null | frames LS
  IFS=$old_ifs
  send LSEND "$real"
}

# GET: payload = a path relative to the working directory; answers FILE, DATA..., FEND (or FERR).
get_file() {
  path=$(printf '%s' "$1" | base64 -d 2>/dev/null)
  real=$(cd "$work" 2>/dev/null && pwd -P) || { send FERR "no working directory $work"; return; }
  file="$real/$path"
  if [ -z "$path" ] || [ ! -f "$file" ] || [ ! -r "$file" ]; then send FERR "not a readable regular file: $path"; return; fi
  send FILE "$(stat -L -c '%s %f' "$file")"
  frames DATA <"$file"
  sum=$(sha256sum <"$file")
  send FEND "${sum%% *}"
}

run_job() {
  rm -f "$run/out" "$run/err"
  mkfifo "$run/out" "$run/err"
  pump OUT "$run/out" &
  out_pid=$!
  pump ERR "$run/err" &
  err_pid=$!
  setsid sh "$home/job.sh" >"$run/out" 2>"$run/err" </dev/null &
  job_pid=$!
  echo "$job_pid" >"$run/job.pid"
  wait "$job_pid"
  code=$?
  # Whatever the job left behind in its group would hold the output pipes open.
  kill_group KILL "$job_pid"
  wait "$out_pid" "$err_pid"
  echo "exited $code" >"$run/state"
  rm -f "$run/job.pid"
  send EXIT "$code"
}

handle() {
  case $1 in
    HELLO)
      send_ready
      send_state
      ;;
    RUN)
      read -r state code <"$run/state"
      case $state in
        idle)
          echo running >"$run/state"
          run_job &
          ;;
        running) send LOG "RUN: job already running; streaming continues" ;;
        exited) send EXIT "$code" ;;
      esac
      ;;
    KILL)
      signal=$(printf '%s' "$2" | base64 -d 2>/dev/null)
      signal=${signal#SIG}
      case $signal in
        '' | *[!A-Z0-9]*) send LOG "KILL: bad signal name"; return ;;
      esac
      pgid=$(cat "$run/job.pid" 2>/dev/null)
      if [ -n "$pgid" ]; then
        kill_group "$signal" "$pgid" || send LOG "KILL $signal: no such process group $pgid"
      else
        send LOG "KILL: no job running"
      fi
      ;;
    LIST) list_files "$2" ;;
    GET) get_file "$2" ;;
    POWEROFF)
      send LOG "powering off"
      sh "$home/poweroff.sh" &
      ;;
    *) send LOG "unknown frame type: $1" ;;
  esac
}

send_ready
# No globbing: frames are split into words with `set -- $line`.
set -f
while :; do
  if IFS= read -r line <&3; then
    set -- $line
    if [ "${1:-}" = JM1 ] && [ -n "${2:-}" ]; then
      handle "$2" "${3:-}"
    else
      send LOG "ignored a line that is not a JM1 frame"
    fi
  else
    sleep 0.2
  fi
done
