#!/bin/sh
# Clean guest shutdown (acpid power button handler and the agent's POWEROFF): stop the job's
# process group, flush the disk, power off. With -no-reboot qemu exits right after.
pgid=$(cat /run/jobmesh/job.pid 2>/dev/null)
kill_group() { kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "-$2" 2>/dev/null; }
if [ -n "$pgid" ]; then
  kill_group TERM "$pgid" && sleep 0.3
  kill_group KILL "$pgid"
fi
sync
# A systemd guest (cloud images) shuts down cleanly; the test guest's busybox init cannot.
if [ -d /run/systemd/system ]; then systemctl poweroff --no-block && exit 0; fi
umount /mnt/disk 2>/dev/null
poweroff -f
