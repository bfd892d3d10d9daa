#!/bin/sh
# Create or update the site's database role (bin/db-roles.sql). docker-compose mounts this into
# the postgres container as an init script, so it runs once, when the data directory is created;
# for a database created before, run it by hand:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-flattr-roles.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" -v web_password="$POSTGRES_WEB_PASSWORD" \
  -f /docker-entrypoint-initdb.d/flattr-roles.sql.in
