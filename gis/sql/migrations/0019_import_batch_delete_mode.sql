-- An OGC API DELETE is an import batch too (layers/ogc_edit.py): every write through the API is one
-- onemap.import_batch row, and the version a DELETE closes names it (close_source 'import:<batch id>'),
-- as the versions an import or an API PUT closes name theirs. Its mode is 'delete'.
ALTER TABLE onemap.import_batch
    DROP CONSTRAINT import_batch_mode_check,
    ADD CONSTRAINT import_batch_mode_check CHECK (mode IN ('append', 'upsert', 'replace', 'delete'));
