#!/usr/bin/env bash
# Make sure the system parts the test suite needs are here: PostgreSQL server binaries and
# Chromium. On Debian/Ubuntu as root they are installed; elsewhere we say what to install.
set -euo pipefail

have_pg() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; }
have_chromium() { [ -x /usr/bin/chromium ]; }

missing=()
have_pg || missing+=(postgresql)
have_chromium || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
  exit 0
fi

echo "make test needs: ${missing[*]}." >&2
echo "Install them with your package manager, e.g. 'sudo apt-get install ${missing[*]}'" >&2
echo "(Chromium must be at /usr/bin/chromium; PostgreSQL server binaries under /usr/lib/postgresql)." >&2
exit 1
