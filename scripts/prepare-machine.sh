#!/usr/bin/env bash
# Installs what the tests need on a Debian machine: nats-server, PostgreSQL 15, HAProxy, PgBouncer,
# iproute2, nftables, Chromium, promtool and node_modules.
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

# What to remove when the script ends, however it ends.
as_root=()
policy_to_remove=''
bootstrap_dir=''
cleanup() {
  [[ -z $policy_to_remove ]] || "${as_root[@]}" rm -f "$policy_to_remove"
  [[ -z $bootstrap_dir ]] || rm -rf "$bootstrap_dir"
}
trap cleanup EXIT

packages=()
[[ -x /usr/sbin/nats-server ]] || packages+=(nats-server)
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || packages+=(postgresql-15)
[[ -x /usr/sbin/haproxy ]] || packages+=(haproxy)
[[ -x /usr/sbin/pgbouncer ]] || packages+=(pgbouncer)
command -v ps >/dev/null || packages+=(procps)
# The lab (npm run lab, test/e2e/lab.spec.ts): network namespaces, veth pairs and netem (iproute2), partitions (nftables).
command -v ip >/dev/null || packages+=(iproute2)
command -v nft >/dev/null || packages+=(nftables)
# The status page's browser tests (playwright-core drives Debian's Chromium; no browser is downloaded).
command -v chromium >/dev/null || packages+=(chromium)
# promtool checks deploy/prometheus/alerts.yml; Debian ships it only in the prometheus package.
command -v promtool >/dev/null || packages+=(prometheus)

if ((${#packages[@]} == 0)); then
  echo "prepare-machine: nats-server, postgresql-15, haproxy, pgbouncer, procps, iproute2, nftables, chromium and prometheus already installed"
else
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
    policy_to_remove=$policy
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
  echo "prepare-machine: npm not found; install Node.js (any version from 20.19 on) and npm first" >&2
  exit 1
fi

# natroni runs on Node.js 24, which it takes from the npm registry as the optional dependency
# node-<platform>-<arch> (its binary is node_modules/.bin/node, so every npm script runs it), whatever
# Node.js the machine has. npm checks the dependencies' `engines` against the Node.js that runs npm, so
# the install itself runs on that Node.js 24 too: fetched first into a temporary directory when the
# machine's own Node.js is older.
runtime_package="node-$(node -p 'process.platform')-$(node -p 'process.arch')"
runtime_version=$(node -p "require('./package.json').optionalDependencies['$runtime_package'] ?? ''")
if [[ -z $runtime_version ]]; then
  echo "prepare-machine: package.json names no Node.js package for this platform ($runtime_package)" >&2
  exit 1
fi
project_node_is_current() {
  [[ -x node_modules/.bin/node ]] && [[ $(node_modules/.bin/node --version) == "v$runtime_version" ]]
}

# npm writes node_modules/.package-lock.json after every install, so it is newer than package-lock.json
# unless the lock file changed since.
if ! $force_npm && [[ -e node_modules/.package-lock.json ]] &&
  [[ ! package-lock.json -nt node_modules/.package-lock.json ]] && project_node_is_current; then
  echo "prepare-machine: node_modules up to date (Node.js $runtime_version)"
  exit 0
fi

# The install replaces node_modules, so it does not run on the binary inside it.
install_node=$(readlink -f "$(command -v node)")
if [[ $(node -p 'process.versions.node.split(".")[0]') -lt 24 || $install_node == "$PWD"/node_modules/* ]]; then
  bootstrap_dir=$(mktemp -d)
  npm install --prefix "$bootstrap_dir" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "$runtime_package@$runtime_version" >/dev/null
  install_node="$bootstrap_dir/node_modules/$runtime_package/bin/node"
  echo "prepare-machine: fetched Node.js $("$install_node" --version) from the npm registry to install with"
fi
# npm's own script (npm-cli.js), run by that Node.js; npm_execpath names it when npm runs this script.
npm_cli=${npm_execpath:-$(readlink -f "$(command -v npm)")}
npm_on_runtime=("$install_node" "$npm_cli")

# npm 11 writes only this platform's optional packages (swc, buf, deno and Node.js binaries) into the
# lock file, and its own `npm ci` then calls the lock file out of sync; `npm install` installs the
# same locked versions.
if "${npm_on_runtime[@]}" ci --no-audit --no-fund; then
  echo "prepare-machine: ran npm ci"
else
  echo "prepare-machine: npm ci refused the lock file; installing the locked versions with npm install"
  "${npm_on_runtime[@]}" install --no-audit --no-fund
fi
if ! project_node_is_current; then
  echo "prepare-machine: node_modules/.bin/node is not Node.js $runtime_version after the install" >&2
  exit 1
fi
echo "prepare-machine: npm scripts run Node.js $runtime_version (node_modules/.bin/node)"
