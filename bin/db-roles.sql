-- The site's database role (docker-compose.yml), run by bin/db-roles.sh as the owner with psql
-- variables `owner` (POSTGRES_USER) and `web_password` (POSTGRES_WEB_PASSWORD). Safe to rerun.
--
-- The owner holds the tables and runs the migrations (the `migrate` service). The web app,
-- worker and beat connect as flattr_web, which may read and write rows but owns nothing: it
-- cannot TRUNCATE (no privilege), ALTER a table or disable a trigger (only the owner can), so
-- the ledger's guards (payments migration 0010) hold for it; nor create tables or functions.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flattr_web') THEN
        CREATE ROLE flattr_web LOGIN;
    END IF;
END
$$;
ALTER ROLE flattr_web LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'web_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO flattr_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO flattr_web;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO flattr_web;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO flattr_web;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO flattr_web;
