-- Autoscaling: whether it is on (it is by default, so applications created
-- before it autoscale too) and the parallelism the job runs at, which the
-- autoscaler changes; parallelism stays the user's, its floor.

ALTER TABLE applications ADD COLUMN autoscaling_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN current_parallelism INTEGER NOT NULL DEFAULT 0;
UPDATE applications SET current_parallelism = parallelism;
