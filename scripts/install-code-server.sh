#!/usr/bin/env bash
# Installs the real VS Code used by the e2e tests: code-server 4.100.3 (VS Code 1.100.3 workbench + Node extension
# host) into .cache/code-server with a package.json of its own (never the project's dependencies), plus Debian's
# chromium for Playwright. Idempotent: returns at once when the right version is already there.
# Needs root on a fresh Debian 12 (apt) and the npm registry; nothing is downloaded from GitHub or VS Code's servers.
# Facts behind every step: /work/shared/notes/real-vscode-on-this-machine.md.
# Usage: bash scripts/install-code-server.sh
set -euo pipefail

VERSION=4.100.3
RG_CACHE=vscode-ripgrep-cache-1.15.11
RG_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
APT_PACKAGES=(chromium libkrb5-dev ripgrep build-essential python3)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.cache/code-server"
PKG="$DIR/node_modules/code-server/package.json"
BIN="$DIR/node_modules/.bin/code-server"

START=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

installed_version() {
  [[ -f "$PKG" && -x "$BIN" ]] || return 0
  node -p "require(process.argv[1]).version" "$PKG" 2>/dev/null || true
}

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing_apt+=("$p")
done

if [[ "$(installed_version)" == "$VERSION" && ${#missing_apt[@]} -eq 0 && -x /usr/bin/chromium ]]; then
  echo "code-server $VERSION already installed in $DIR ($(elapsed "$START") s)"
  exit 0
fi

# 1. Debian packages: chromium (Playwright's browser), kerberos headers + compilers for code-server's native
#    modules, ripgrep (its binary stands in for @vscode/ripgrep's GitHub download).
if [[ ${#missing_apt[@]} -gt 0 ]]; then
  t=$EPOCHREALTIME
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages (${missing_apt[*]}); run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
  echo "apt-get install ${missing_apt[*]}: $(elapsed "$t") s"
fi

# 2. Pre-seed @vscode/ripgrep's download cache (its postinstall would fetch from GitHub) in a private TMPDIR.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/$RG_CACHE" "$TMP/rg"
cp "$(command -v rg)" "$TMP/rg/rg"
tar -C "$TMP/rg" -czf "$TMP/$RG_CACHE/$RG_TARBALL" rg

# 3. npm install in a folder of its own, as root (--unsafe-perm for its postinstall check), npx without prompts
#    (node-pty's postinstall runs `npx node-gyp`).
t=$EPOCHREALTIME
mkdir -p "$DIR"
[[ -f "$DIR/package.json" ]] || cat >"$DIR/package.json" <<'JSON'
{
  "name": "pg-upgrade-pilot-code-server",
  "private": true,
  "description": "code-server for the e2e tests (scripts/install-code-server.sh); not a project dependency"
}
JSON
(
  cd "$DIR"
  TMPDIR="$TMP" npm_config_yes=true npm install --unsafe-perm --save-exact --no-audit --no-fund --loglevel=error \
    "code-server@$VERSION"
)
echo "npm install code-server@$VERSION: $(elapsed "$t") s"

got="$(installed_version)"
if [[ "$got" != "$VERSION" ]]; then
  echo "code-server install failed: found version '${got:-none}' in $DIR" >&2
  exit 1
fi
XDG_CONFIG_HOME="$TMP" XDG_DATA_HOME="$TMP" "$BIN" --version | head -n 1  # no config file in $HOME
echo "code-server $VERSION installed in $DIR (total $(elapsed "$START") s)"
