-- Who closed a component version, and through what: an edit or deletion over the API
-- ('api:<token name>') or an import that replaced it ('import:<batch id>'). NULL while the
-- version is current, and on versions closed before this migration.
ALTER TABLE onemap.component
    ADD COLUMN closed_by    text,
    ADD COLUMN close_source text;
