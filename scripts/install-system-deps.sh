#!/usr/bin/env bash
# Debian packages the tests use, installed once (idempotent; returns at once when present):
# postgresql-client-15 (psql, pg_dump, pg_restore, pg_basebackup) and postgresql-15 (pgbench, pg_rewind) — Debian
# packages only major 15. No cluster may grab port 5432: create_main_cluster = false before the server package.
# pgbouncer (the client-routing tests and `lab up --pgbouncer` run their own, as the lab's OS user; the distribution's
# service is stopped and disabled so nothing else listens on 6432).
# The real VS Code for the e2e tests (code-server + chromium) is installed by scripts/install-code-server.sh.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/pg_rewind ] && command -v psql >/dev/null && command -v pgbench >/dev/null && [ -x /usr/sbin/pgbouncer ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: install Debian's postgresql-client-15, postgresql-15 and pgbouncer (as root: bash $0);" \
       "tests that need psql, pg_dump, pgbench, pg_rewind or pgbouncer will fail without them" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
sed -i 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
apt-get install -y -qq --no-install-recommends postgresql-client-15 postgresql-15 pgbouncer >/dev/null
if command -v systemctl >/dev/null; then systemctl disable --now pgbouncer >/dev/null 2>&1 || true; fi
if command -v service >/dev/null; then service pgbouncer stop >/dev/null 2>&1 || true; fi
echo "install-system-deps: Debian's PostgreSQL 15 client tools and pgbouncer installed"
