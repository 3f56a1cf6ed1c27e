#!/bin/sh
# mmdebstrap --customize-hook: turns the installed bookworm tree at $1 into a generic cloud
# image, the way distro cloud images are set up. Nothing of jobmesh goes in here.
set -eu
root="$1"

# Per-instance identity: systemd makes a machine-id and cloud-init makes host keys and the
# hostname on first boot, so no two VMs share them.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
echo debian > "$root/etc/hostname"
# The build host's resolver; dhclient writes the guest's own.
rm -f "$root/etc/resolv.conf"

cat > "$root/etc/fstab" <<'FSTAB'
LABEL=root  /  ext4  rw,errors=remount-ro  0  1
FSTAB

# Network: cloud-init renders its network config (by default DHCP on the first NIC, by its
# predictable name) to interfaces.d/50-cloud-init as `allow-hotplug <nic>`, as on Debian's
# own cloud images; a seed's network-config overrides it.
cat > "$root/etc/network/interfaces" <<'IFACES'
# The first NIC's stanza is written by cloud-init to /etc/network/interfaces.d/50-cloud-init.
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
IFACES
# network-online.target waits for DHCP at most 20 s (default 300): a NIC without a DHCP server
# must not hold cloud-init's final stage for minutes. Without a NIC nothing waits.
sed -i 's/^#\?WAIT_ONLINE_TIMEOUT=.*/WAIT_ONLINE_TIMEOUT=20/' "$root/etc/default/networking"
grep -q '^WAIT_ONLINE_TIMEOUT=20$' "$root/etc/default/networking"
chroot "$root" systemctl mask systemd-networkd-wait-online.service

# cloud-init: a NoCloud seed (cidata CD-ROM) or nothing; never wait for metadata servers.
cat > "$root/etc/cloud/cloud.cfg.d/90-datasources.cfg" <<'CLOUD'
datasource_list: [ NoCloud, None ]
CLOUD
# C.UTF-8 is built into glibc (the image has no `locales`, so en_US.UTF-8 would fail); /etc/hosts
# follows the instance's hostname; no DSA host key: OpenSSH 9 no longer offers it.
cat > "$root/etc/cloud/cloud.cfg.d/91-image-defaults.cfg" <<'CLOUD'
locale: C.UTF-8
manage_etc_hosts: true
ssh_genkeytypes: [ rsa, ecdsa, ed25519 ]
CLOUD

# Root on virtio-blk (or SATA/SCSI/NVMe), the seed on an IDE/SATA CD-ROM: the initramfs loads
# these itself instead of depending on what the build host's hardware looked like.
cat >> "$root/etc/initramfs-tools/modules" <<'MODULES'
virtio_pci
virtio_blk
virtio_scsi
nvme
ahci
ata_piix
sd_mod
sr_mod
isofs
ext4
MODULES
# The root filesystem's type, which the fsck hook cannot find out from LABEL=root on the build
# host: without it the initramfs would lack fsck.ext4.
echo FSTYPE=ext4 > "$root/etc/initramfs-tools/conf.d/fstype"
chroot "$root" update-initramfs -u -k all

# Root logs in only through cloud-init's users and ssh keys; a console login on ttyS0.
chroot "$root" passwd --lock root
chroot "$root" systemctl enable serial-getty@ttyS0.service

chroot "$root" apt-get clean
rm -rf "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old "$root"/tmp/*
