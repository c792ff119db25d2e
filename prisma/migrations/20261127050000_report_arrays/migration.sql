-- Exact percentiles over arrays. The fleet report gathers each breakdown's values
-- into arrays with array_agg, which Postgres can group by hashing; an ordered-set
-- aggregate (percentile_cont) forces a sort of every row by the group's key
-- first (text keys: type, image version, node, group, unit name). The array is
-- then sorted and read at the percentile's ranks, with percentile_cont's own
-- arithmetic, so both give the same float8 (packages/stack/src/report-arrays.test.ts
-- compares them).

-- The values of an array in ascending order (nulls last, as ORDER BY puts them):
-- array_sort where Postgres has it (18 and later), unnest and ORDER BY before.
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 180000 THEN
    CREATE FUNCTION softfleet_sorted(float8[]) RETURNS float8[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT array_sort($1)';
  ELSE
    CREATE FUNCTION softfleet_sorted(float8[]) RETURNS float8[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT ARRAY(SELECT v FROM unnest($1) v ORDER BY v)';
  END IF;
END $$;

-- percentile_cont(fraction) WITHIN GROUP (ORDER BY v) over the values of an
-- ascending array without nulls: the rank h = fraction * (n - 1) (0-based), the
-- value there, or the values on either side with linear interpolation
-- (lo + (h - floor(h)) * (hi - lo), as float8_lerp computes it). Null for an
-- empty or null array. One expression, so the planner inlines it.
CREATE FUNCTION softfleet_percentile(sorted float8[], fraction float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN COALESCE(cardinality(sorted), 0) = 0 THEN NULL
    WHEN floor(fraction * (cardinality(sorted) - 1)) = ceil(fraction * (cardinality(sorted) - 1))
      THEN sorted[floor(fraction * (cardinality(sorted) - 1))::int + 1]
    ELSE sorted[floor(fraction * (cardinality(sorted) - 1))::int + 1]
      + (fraction * (cardinality(sorted) - 1) - floor(fraction * (cardinality(sorted) - 1)))
        * (sorted[ceil(fraction * (cardinality(sorted) - 1))::int + 1] - sorted[floor(fraction * (cardinality(sorted) - 1))::int + 1])
  END $$;

-- The restarts of watched units after soft-reboots, by unit name: the services
-- breakdown reads each name's gaps in the range from here, index-only, without
-- the survived units' rows.
CREATE INDEX "RebootUnit_restart_gaps_idx" ON "RebootUnit"("name", "recordedAt") INCLUDE ("nodeId", "gapMs")
  WHERE "rebootType" = 'soft-reboot' AND "gapMs" IS NOT NULL;

-- A node's reboots in a range, with what the slowest-nodes breakdown reads of
-- them (its type and total): index-only. The fleet report looks up only the
-- nodes of the range's longest totals here.
DROP INDEX "RebootRecord_nodeId_recordedAt_idx";
CREATE INDEX "RebootRecord_nodeId_recordedAt_idx" ON "RebootRecord"("nodeId", "recordedAt")
  INCLUDE ("rebootType", "totalMs");

-- Soft-reboot totals, longest first: the slowest-nodes breakdown walks the top
-- of it for the nodes of a range's longest reboots.
CREATE INDEX "RebootRecord_soft_totals_idx" ON "RebootRecord"("totalMs") INCLUDE ("recordedAt", "nodeId")
  WHERE "rebootType" = 'soft-reboot' AND "totalMs" IS NOT NULL;
