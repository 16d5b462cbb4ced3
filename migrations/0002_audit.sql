-- Every state-changing API call: who, when, what, from where, with which result.
CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    -- 'session:<first 16 hex digits of the session id>' or 'anonymous'
    actor text NOT NULL,
    client inet,
    method text NOT NULL,
    -- the route pattern, e.g. /api/v1/jails/{name}/start
    route text NOT NULL,
    path text NOT NULL,
    -- what the handler did, e.g. {"jail": "sshd", "ip": "192.0.2.7"}
    details jsonb NOT NULL DEFAULT '{}',
    status smallint NOT NULL,
    error_code text
);

CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
