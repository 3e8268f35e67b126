-- The planner estimates a transition table at a few thousand rows, so the count trigger
-- (tile_component_count_apply) grouped the rows of a bulk write by sorting them on their text
-- keys, on disk past work_mem. Hashing groups them in one pass whatever the statement's size (a
-- few thousand cells from a million rows); the ORDER BY that fixes the lock order still sorts
-- the groups. `psql $SCRATCH_URL -v n=75 -f bench/tiles_trigger.sql` (978,525 rows, auto_explain
-- per trigger statement, two alternating runs each): the count trigger took 1.68 / 1.72 s
-- sorting, 0.97 / 0.91 s hashing. A later CREATE OR REPLACE of the function must repeat this.
ALTER FUNCTION onemap.tile_component_count_apply() SET enable_sort = off;
