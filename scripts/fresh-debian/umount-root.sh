#!/bin/bash
# umount-root.sh ROOT — stop the PostgreSQL clusters running inside ROOT, unmount it.
R=$1
if [ -d "$R/etc/postgresql" ] && mountpoint -q "$R/proc"; then
  ip netns exec "${NETNS:-fresh}" chroot "$R" sh -c 'cd / && pg_lsclusters --no-header 2>/dev/null |
    while read -r v c p s rest; do [ "$s" = online ] && pg_ctlcluster --skip-systemctl-redirect "$v" "$c" stop -m fast; done' || true
fi
for m in dev/pts dev sys proc; do mountpoint -q "$R/$m" && umount -R "$R/$m"; done
true
