-- An application's maximum parallelism (the key groups of its keyed state),
-- fixed when it is created: a rescale never goes above it. Applications
-- created before it have Flink's default for a small job.

ALTER TABLE applications ADD COLUMN max_parallelism INTEGER NOT NULL DEFAULT 128;
