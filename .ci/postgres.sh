# Sourced by .ci/run: a PostgreSQL of the run's own on a free loopback port, in a temporary directory,
# nothing kept (fsync off), stopped however the run ends. Sets DATABASE_URL. PostgreSQL refuses to run
# as root: as root, the cluster belongs to the postgres user Debian's package creates.

# A free loopback port, as the system picks one; defined here so that .ci/run's Redis takes its port the
# same way (node, because it is there wherever the tests run).
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_port="$(free_port)"
pg_dir="$(mktemp -d)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
  "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
stop_postgres() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "== postgres $("$pg_bin/postgres" --version | awk '{print $3}') at $DATABASE_URL"
