-- Every change bangui makes to a file of fail2ban's configuration: who, when, the content
-- before and after (NULL where the file did not exist), so that any change can be reverted.
CREATE TABLE config_revisions (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    -- the fail2ban host ('local' until remote hosts arrive)
    host text NOT NULL DEFAULT 'local',
    -- relative to the configuration directory, e.g. jail.d/sshd.local (its name after the change)
    path text NOT NULL,
    -- its name before, when the change renamed it (enable/disable)
    previous_path text,
    actor text NOT NULL,
    -- create | edit | enable | disable | revert
    action text NOT NULL,
    before text,
    after text
);

CREATE INDEX config_revisions_path_idx ON config_revisions (host, path, id DESC);
