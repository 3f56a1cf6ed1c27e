#!/bin/sh
# busybox acpid runs /etc/acpi/PWRF/00000080 when the ACPI power button is pressed
# (QMP system_powerdown).
exec /jobmesh/poweroff.sh
