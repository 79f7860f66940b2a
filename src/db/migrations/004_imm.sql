-- Haven schema, version 4 (immutable tags and labels).

-- A project cannot hold the same immutable tag rule twice: `rule` is stored normalised
-- (compact JSON with sorted keys), so equal selectors are equal text.
CREATE UNIQUE INDEX immutable_rule_unique ON immutable_rule(project_id, rule);

-- Labels are listed per scope and project (label_name indexes coalesce(project_id, 0),
-- which a plain project_id = ? cannot use).
CREATE INDEX label_scope_project ON label(scope, project_id);
