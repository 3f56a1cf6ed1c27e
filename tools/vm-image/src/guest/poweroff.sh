#!/bin/sh
# Clean guest shutdown (acpid power button handler and the agent's POWEROFF): stop the job's
# process group, flush the disk, power off. With -no-reboot qemu exits right after.
pgid=$(cat /run/jobmesh/job.pid 2>/dev/null)
if [ -n "$pgid" ]; then
  kill -TERM -- "-$pgid" 2>/dev/null && sleep 0.3
  kill -KILL -- "-$pgid" 2>/dev/null
fi
sync
umount /mnt/disk 2>/dev/null
poweroff -f
