-- First-run setup: exactly one row, written once (two concurrent setups: one wins).
CREATE TABLE setup (
    id smallint PRIMARY KEY CHECK (id = 1),
    -- argon2id, PHC string format
    password_hash text NOT NULL,
    -- IANA time zone name, validated by the application
    timezone text NOT NULL,
    session_duration_minutes integer NOT NULL CHECK (session_duration_minutes BETWEEN 1 AND 525600),
    completed_at timestamptz NOT NULL DEFAULT now()
);
