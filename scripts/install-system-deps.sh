#!/usr/bin/env bash
# Debian packages the tests use, installed once (idempotent; returns at once when present):
# postgresql-client-15 (psql, pg_dump, pg_restore, pg_basebackup), postgresql-15 (pgbench, pg_rewind) — Debian
# packages only major 15 — and pgbouncer (1.18, the real pooler for the client-routing tests; its service is stopped). No cluster may grab port 5432: create_main_cluster = false before the server package.
# The real VS Code for the e2e tests (code-server + chromium) is installed by scripts/install-code-server.sh.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/pg_rewind ] && command -v psql >/dev/null && command -v pgbench >/dev/null \
   && [ -x /usr/sbin/pgbouncer ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: install Debian's postgresql-client-15 and postgresql-15 (as root: bash $0);" \
       "tests that need psql, pg_dump, pgbench or pg_rewind will fail without them" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
sed -i 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
apt-get install -y -qq --no-install-recommends postgresql-client-15 postgresql-15 pgbouncer >/dev/null
# The package starts its own service on 6432: the tests run their own poolers.
(systemctl stop pgbouncer || service pgbouncer stop || pkill -x pgbouncer) >/dev/null 2>&1 || true
echo "install-system-deps: Debian's PostgreSQL 15 client tools and PgBouncer installed"
