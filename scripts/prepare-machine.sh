#!/usr/bin/env bash
# Installs what the tests need on a Debian machine: nats-server, PostgreSQL 15, HAProxy, iproute2,
# nftables and node_modules.
# Idempotent; does nothing (quickly) when everything is present.
# Usage: scripts/prepare-machine.sh [--force-npm]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

force_npm=false
for arg in "$@"; do
  case "$arg" in
    --force-npm) force_npm=true ;;
    *) echo "prepare-machine: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

packages=()
[[ -x /usr/sbin/nats-server ]] || packages+=(nats-server)
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || packages+=(postgresql-15)
[[ -x /usr/sbin/haproxy ]] || packages+=(haproxy)
command -v ps >/dev/null || packages+=(procps)
# The lab (npm run lab, test/e2e/lab.spec.ts): network namespaces, veth pairs and netem (iproute2), partitions (nftables).
command -v ip >/dev/null || packages+=(iproute2)
command -v nft >/dev/null || packages+=(nftables)

if ((${#packages[@]} == 0)); then
  echo "prepare-machine: nats-server, postgresql-15, haproxy, procps, iproute2 and nftables already installed"
else
  as_root=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null; then
      echo "prepare-machine: ${packages[*]} missing; run this script as root to install them" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  # Debian's packages start their services from postinst unless policy-rc.d forbids it (exit 101):
  # the tests run their own servers, so the stock PostgreSQL service must not start.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    trap '"${as_root[@]}" rm -f "$policy"' EXIT
  fi
  apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  apt_log=$(mktemp)
  if ! { "${apt_get[@]}" update && "${apt_get[@]}" install -y --no-install-recommends "${packages[@]}"; } \
    >"$apt_log" 2>&1; then
    tail -n 40 "$apt_log" >&2
    rm -f "$apt_log"
    echo "prepare-machine: apt-get failed installing ${packages[*]} (log above)" >&2
    exit 1
  fi
  rm -f "$apt_log"
  echo "prepare-machine: installed ${packages[*]}"
fi

if ! command -v npm >/dev/null; then
  echo "prepare-machine: npm not found; install Node.js (>= 20.19) first" >&2
  exit 1
fi
# npm writes node_modules/.package-lock.json after every install, so it is newer than package-lock.json
# unless the lock file changed since.
if $force_npm || [[ ! -e node_modules/.package-lock.json ]] ||
  [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  # npm 11 writes only this platform's optional packages (swc, buf, deno binaries) into the lock
  # file, and its own `npm ci` then calls the lock file out of sync; `npm install` installs the
  # same locked versions.
  if npm ci --no-audit --no-fund; then
    echo "prepare-machine: ran npm ci"
  else
    echo "prepare-machine: npm ci refused the lock file; installing the locked versions with npm install"
    npm install --no-audit --no-fund
  fi
else
  echo "prepare-machine: node_modules up to date"
fi
