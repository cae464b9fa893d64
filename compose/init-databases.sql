-- Run once by the postgres image, on the first start with an empty data volume, as
-- POSTGRES_USER connected to POSTGRES_DB (the intake database, created by the image).
-- Each service owns its own database; the docs database is created here.
-- To re-run it, remove the volume: docker compose down --volumes
CREATE DATABASE docs;
