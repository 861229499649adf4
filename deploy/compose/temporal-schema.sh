#!/bin/sh
# Creates (or upgrades) Temporal's two databases on the compose PostgreSQL. Idempotent:
# `create` fails harmlessly when the database exists; the schema steps only move forward.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgres --port 5432 --user orders "$@"; }
schemas=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
    tool --db "$db" create || true
done
tool --db temporal setup-schema -v 0.0
tool --db temporal update-schema -d "$schemas/temporal/versioned"
tool --db temporal_visibility setup-schema -v 0.0
tool --db temporal_visibility update-schema -d "$schemas/visibility/versioned"
