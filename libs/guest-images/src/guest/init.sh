#!/bin/sh
# PID 1 of the jobmesh test guest: mounts, loads modules, finds the cidata seed and the base
# disk, starts acpid (QMP system_powerdown -> power button -> /jobmesh/poweroff.sh), then
# becomes the guest agent. If the agent ever exits, PID 1 exits, the kernel panics
# (panic=-1 reboots, -no-reboot ends qemu): the host sees qemu gone rather than a stuck VM.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/jobmesh
log() { echo "jobmesh-init: $*" >/dev/console; echo "$*" >>/run/jobmesh/init.log; }

while read -r module; do
  # crc32c-intel refuses CPUs without SSE4.2 (TCG's default model): crc32c_generic covers it.
  insmod "$module" 2>/dev/null || log "insmod $module failed (ignored)"
done </etc/jobmesh/modules

# virtio devices probe asynchronously after insmod: wait for the labels to appear.
i=0
while [ $i -lt 100 ]; do
  seed=$(findfs LABEL=cidata 2>/dev/null) && disk=$(findfs LABEL=jobmesh-base 2>/dev/null) && break
  i=$((i + 1)); sleep 0.05
done
if [ -n "${seed:-}" ]; then mount -t iso9660 -o ro "$seed" /seed || log "cannot mount seed $seed"; else log "no cidata seed"; fi
if [ -n "${disk:-}" ]; then mount -t ext4 -o rw "$disk" /mnt/disk || log "cannot mount base disk $disk"; else log "no base disk"; fi
mkdir -p /mnt/disk/work 2>/dev/null

acpid -c /etc/acpi -l /run/jobmesh/acpid.log
exec /jobmesh/agent.sh
