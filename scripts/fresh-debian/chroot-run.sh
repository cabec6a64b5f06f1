#!/bin/bash
# chroot-run.sh ROOT CMD... — run CMD as root in ROOT, in the network namespace $NETNS
# (default "fresh"), with a login-like minimal environment (no LANG). Mounts proc, sys, dev
# and dev/pts first when they are not mounted.
set -eu
R=$1; shift
for m in proc sys dev dev/pts; do
  mountpoint -q "$R/$m" && continue
  case $m in
    proc) mount -t proc proc "$R/proc" ;;
    sys) mount --rbind /sys "$R/sys"; mount --make-rslave "$R/sys" ;;
    dev) mount --bind /dev "$R/dev" ;;
    dev/pts) mount --bind /dev/pts "$R/dev/pts" ;;
  esac
done
exec ip netns exec "${NETNS:-fresh}" chroot "$R" /usr/bin/env -i HOME=/root TERM=xterm \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
