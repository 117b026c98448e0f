#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: initdb into a temporary folder, start it
# on a private socket folder and a free loopback port, export KAM_DATABASE_URL, run the command,
# then stop the server and remove everything. PostgreSQL refuses to run as root, so as root the
# server runs as Debian's unprivileged `postgres` user.
set -euo pipefail

bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
if [ -z "$bindir" ] && command -v initdb >/dev/null; then bindir="$(dirname "$(command -v initdb)")"; fi
if [ -z "$bindir" ]; then
  echo "PostgreSQL server binaries not found: install the 'postgresql' package (make system)." >&2
  exit 1
fi

as_db_user=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_db_user=(runuser -u postgres --)
fi

tmp="$(mktemp -d /tmp/kam-pg.XXXXXX)"
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

cleanup() {
  "${as_db_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"${as_db_user[@]}" "$bindir/initdb" -D "$tmp/data" -U kam --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_db_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
  start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }

export KAM_DATABASE_URL="postgres://kam@127.0.0.1:$port/kam"
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U kam kam
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)"
"$@"
