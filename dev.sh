#!/usr/bin/env bash
# Set-up and entry points for a fresh Debian machine (run as root, or with sudo available).
#
#   ./dev.sh demo    install what is missing, then run the main job on the bundled samples
#   ./dev.sh test    install what is missing, then run the whole test suite
#   ./dev.sh setup   only install (Debian packages, PostgreSQL, the virtual environment)
#
# Everything is idempotent: a second run installs nothing and starts at once.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3.11}

APT_PACKAGES=(
  tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng   # OCR engine and its French/English models
  poppler-utils                                       # pdftoppm: look at generated pages as PNG
  fonts-dkg-handwriting fonts-tomsontalks             # held-out handwriting fonts (evaluation only)
  fonts-humor-sans fonts-breip fonts-sjfonts fonts-rufscript fonts-kristi fonts-bwht fonts-comic-neue
  postgresql                                          # the multi-workstation base (tests use a real server)
  tmux                                                # drive the review application in a real terminal
)

log() { printf '\033[1m[dev.sh]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    case "$pkg" in \#*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_postgresql() {
  # The test suite needs a PostgreSQL server on 127.0.0.1:5432 that trusts local users.
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then log "PostgreSQL is not installed"; return 1; fi
  local conf="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "bordereau-test" "$conf" 2>/dev/null; then
    log "configuring PostgreSQL $version for local trust authentication (tests only)"
    as_root sh -c "printf '%s\n' '# bordereau-test: trust local connections' \
      'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' 'local all all trust' \
      | cat - '$conf' > '$conf.new' && mv '$conf.new' '$conf'"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb test"
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$(id -un)'\" | grep -q 1 || createuser --superuser $(id -un)"
}

install_venv() {
  local stamp="$VENV/.installed"
  local wanted
  wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then return; fi
  if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null || PYTHON=python3
    log "creating the virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing bordereau and its dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  echo "$wanted" > "$stamp"
}

setup() {
  install_debian_packages
  start_postgresql
  install_venv
}

case "${1:-}" in
  setup) setup ;;
  demo) setup; exec "$VENV/bin/python" -m bordereau.demo --samples "$ROOT/samples" --out "$ROOT/out" "${@:2}" ;;
  test) setup; exec "$VENV/bin/python" -m pytest "${@:2}" ;;
  *) echo "usage: ./dev.sh demo|test|setup" >&2; exit 2 ;;
esac
