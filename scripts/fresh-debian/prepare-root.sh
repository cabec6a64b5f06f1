#!/bin/bash
# prepare-root.sh PRISTINE RUN SOURCE [BRANCH] — copy the pristine root PRISTINE to RUN (from
# scratch), add the host's network settings a real machine would have, clone SOURCE into
# RUN/root/bordereau.
set -eu
PRISTINE=$1; R=$2; SOURCE=$3; BRANCH=${4:-}
"$(dirname "$0")/umount-root.sh" "$R" || true
rm -rf "$R"; cp -a "$PRISTINE" "$R"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
  chroot "$R" update-ca-certificates >/dev/null 2>&1
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$R/etc/pip.conf"
fi
[ -f "$R/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
git clone -q ${BRANCH:+-b "$BRANCH"} "$SOURCE" "$R/root/bordereau"
