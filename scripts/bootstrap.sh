#!/usr/bin/env bash
# Installs everything the project needs; idempotent. `--browser` also installs Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*"; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3.11 -m venv .venv
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "installing Python packages"
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Reflex's own bun download needs the open web; the npm registry has bun too.
# axe-core: the accessibility scan the browser tests inject into every page.
if [ ! -x .tools/node_modules/.bin/bun ] || [ ! -f .tools/node_modules/axe-core/axe.min.js ]; then
  say "installing bun and axe-core from npm"
  npm install --silent --prefix .tools bun@1.4.4 axe-core@4.10.3
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
say "ready"
