#!/usr/bin/env bash
# Set-up and entry points for a fresh Debian machine (bookworm or trixie; run as root, or
# with sudo available). Nothing outside this folder is needed.
#
#   ./dev.sh demo    install what is missing, then run the main job on the bundled samples
#   ./dev.sh test    install what is missing, then lint (ruff), type-check (mypy --strict)
#                    and run the whole test suite; fails on the first that fails
#   ./dev.sh setup   only install (Debian packages, PostgreSQL, the virtual environment)
#
# Everything is idempotent: a second run installs nothing and starts at once.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
# The project supports these Python versions (pyproject.toml: requires-python).
PY_MIN=11
PY_MAX=13
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
  tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng   # OCR engine and its French/English models
  poppler-utils                                       # pdftoppm: look at generated pages as PNG
  jbig2dec                                            # independent JBIG2 decoder (a test cross-checks ours)
  fonts-dkg-handwriting fonts-tomsontalks             # held-out handwriting fonts (evaluation only)
  fonts-humor-sans fonts-breip fonts-sjfonts fonts-rufscript fonts-kristi fonts-bwht fonts-comic-neue
  postgresql                                          # the multi-workstation base (tests use a real server)
  tmux                                                # drive the review application in a real terminal
)

log() { printf '\033[1m[dev.sh]\033[0m %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a noisy installer quietly: its output is shown only when it fails.
quietly() {
  local output status=0
  output=$(mktemp)
  "$@" >"$output" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then tail -n 40 "$output" >&2; rm -f "$output"; die "failed ($status): $*"; fi
  rm -f "$output"
}

# PostgreSQL's tools as root, from a folder the postgres user can read (no "could not
# change directory" warnings when they switch to it), in a locale every Debian has.
pg_tool() {
  (cd / && as_root env LC_ALL=C.UTF-8 "$@")
}

# The interpreter: $PYTHON if given, else the system's python3 when the project supports
# it (3.11 on bookworm, 3.13 on trixie), else the newest supported python3.X installed.
pick_python() {
  if [ -n "${PYTHON:-}" ]; then command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON not found"; return; fi
  local candidate minor
  for candidate in python3 $(seq -f 'python3.%g' "$PY_MAX" -1 "$PY_MIN"); do
    command -v "$candidate" >/dev/null || continue
    minor=$("$candidate" -c 'import sys; print(sys.version_info[1])' 2>/dev/null) || continue
    if [ "$minor" -ge "$PY_MIN" ] && [ "$minor" -le "$PY_MAX" ]; then PYTHON=$candidate; return; fi
  done
  die "no Python 3.$PY_MIN to 3.$PY_MAX found: install one (apt-get install python3) and rerun"
}

install_debian_packages() {
  local version missing=()
  version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  # venv + ensurepip for that interpreter; C.UTF-8 needs no locales package (glibc has it)
  for pkg in "python$version-venv" "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    quietly as_root apt-get update
    # LC_ALL=C.UTF-8: the cluster the postgresql package creates is then UTF-8, not SQL_ASCII
    quietly as_root env LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# Sets PG_PORT to the port of a running PostgreSQL cluster that trusts local connections.
start_postgresql() {
  local version cluster port status
  command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed (apt-get install postgresql)"
  read -r version cluster port status _ < <(pick_cluster) || true
  if [ -z "${version:-}" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    log "creating PostgreSQL $version cluster 'main' on port 5432, UTF-8 (locale C.UTF-8)"
    pg_tool pg_createcluster --locale C.UTF-8 --encoding UTF8 --port 5432 "$version" main >/dev/null
    read -r version cluster port status _ < <(pick_cluster)
  fi
  PG_PORT=$port
  if [ "$status" != online ]; then
    log "starting PostgreSQL $version/$cluster on port $port"
    pg_tool pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start \
      2>/dev/null || pg_tool pg_ctlcluster "$version" "$cluster" start
  fi
  local waited=0
  until pg_isready -q -h 127.0.0.1 -p "$port"; do
    if [ "$waited" -eq 0 ]; then log "waiting for PostgreSQL on 127.0.0.1:$port"; fi
    waited=$((waited + 1))
    if [ "$waited" -gt 30 ]; then
      as_root tail -n 20 "/var/log/postgresql/postgresql-$version-$cluster.log" >&2 || true
      die "PostgreSQL $version/$cluster did not answer on 127.0.0.1:$port within 30 s"
    fi
    sleep 1
  done
  # The tests connect as postgres over TCP without a password.
  if ! psql -h 127.0.0.1 -p "$port" -U postgres -w -XtAc 'SELECT 1' >/dev/null 2>&1; then
    local conf="/etc/postgresql/$version/$cluster/pg_hba.conf"
    log "letting local connections into PostgreSQL $version/$cluster without password (tests only: $conf)"
    as_root sh -c "printf '%s\n' '# bordereau-test: trust local connections' \
      'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' 'local all all trust' \
      | cat - '$conf' > '$conf.new' && chown --reference='$conf' '$conf.new' \
      && chmod --reference='$conf' '$conf.new' && mv '$conf.new' '$conf'"
    pg_tool pg_ctlcluster "$version" "$cluster" reload
    psql -h 127.0.0.1 -p "$port" -U postgres -w -XtAc 'SELECT 1' >/dev/null \
      || die "PostgreSQL $version/$cluster still refuses local connections (see $conf)"
  fi
  local encoding
  encoding=$(psql -h 127.0.0.1 -p "$port" -U postgres -w -XtAc \
    "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'template1'")
  if [ "$encoding" != UTF8 ]; then
    log "note: PostgreSQL $version/$cluster defaults to $encoding; tests create their databases in UTF-8"
  fi
}

# "version cluster port status" of the cluster to use: an online one first, else the newest.
pick_cluster() {
  LC_ALL=C.UTF-8 pg_lsclusters --no-header 2>/dev/null \
    | awk '{print ($4 == "online" ? 0 : 1), $1, $2, $3, $4}' | sort -k1,1n -k2,2Vr \
    | head -n 1 | cut -d' ' -f2-
}

install_venv() {
  local stamp="$VENV/.installed" wanted
  if [ -e "$VENV" ] && ! { [ -x "$VENV/bin/pip" ] && "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; }; then
    log "the virtual environment $VENV is incomplete (no working python or pip, e.g. an interrupted first run): recreating it"
    rm -rf "$VENV"
  fi
  if [ ! -e "$VENV" ]; then
    log "creating the virtual environment $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
  fi
  wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$VENV/bin/python" --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then return; fi
  log "installing bordereau and its dependencies into $VENV (a few minutes the first time)"
  quietly "$VENV/bin/python" -m pip install --upgrade pip
  quietly "$VENV/bin/python" -m pip install -e ".[dev]"
  echo "$wanted" > "$stamp"
}

setup() {
  pick_python
  install_debian_packages
  start_postgresql
  install_venv
}

case "${1:-}" in
  setup) setup ;;
  demo) setup; exec "$VENV/bin/python" -m bordereau.demo --samples "$ROOT/samples" --out "$ROOT/out" "${@:2}" ;;
  test)
    setup
    if [ "$PG_PORT" != 5432 ] && [ -z "${BORDEREAU_TEST_PG:-}" ]; then
      export BORDEREAU_TEST_PG="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
      log "tests use PostgreSQL on port $PG_PORT (BORDEREAU_TEST_PG)"
    fi
    log "ruff check"
    "$VENV/bin/python" -m ruff check bordereau tests scripts benchmarks
    log "mypy (strict)"
    "$VENV/bin/python" -m mypy
    # One pytest worker per core (pytest-xdist), at most 4 (each opens its own PostgreSQL
    # connections); a test file stays on one worker, so its module fixtures are made once;
    # files go out in collection order (tests/conftest.py puts the longest first).
    # BORDEREAU_TEST_JOBS=0 runs the suite in one process.
    # The project's bytecode, written once before the run: where PYTHONDONTWRITEBYTECODE is
    # set, every process the tests start (CLI commands, scan workers, watchers) would
    # otherwise compile bordereau's hundred modules again (0.3-0.4 CPU-s each)
    "$VENV/bin/python" -m compileall -q bordereau tests >/dev/null
    log "pytest (${BORDEREAU_TEST_JOBS:-one worker per core})"
    exec "$VENV/bin/python" -m pytest -n "${BORDEREAU_TEST_JOBS:-auto}" --maxprocesses 4 \
      --dist loadfile --no-loadscope-reorder "${@:2}" ;;
  *) echo "usage: ./dev.sh demo|test|setup" >&2; exit 2 ;;
esac
