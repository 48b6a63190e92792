-- Fewer D1 rows written per routed run (docs/operations.md, "Rows written per run"): index
-- entries count as written rows, so each index below holds only the rows its queries read.
-- Hand-written like 0008 (migrations/meta has no snapshot after 0007); 0009 is the events table's.
-- Pipeline steps only (most executions have no pipeline run); step_index serves the step lookup.
DROP INDEX `executions_pipeline_run`;--> statement-breakpoint
CREATE INDEX `executions_pipeline_run` ON `executions` (`pipeline_run_id`,`step_index`) WHERE pipeline_run_id IS NOT NULL;--> statement-breakpoint
-- Retention reads only final executions: an open one is not indexed until it becomes final.
DROP INDEX `executions_org_updated`;--> statement-breakpoint
CREATE INDEX `executions_final` ON `executions` (`org_id`,`updated_at`) WHERE status IN ('success','failed','cancelled','rejected');--> statement-breakpoint
-- executions_event_action (unique, non-pipeline) already indexes every execution of an event
-- outside pipelines; this holds only the others, which no code path creates today.
DROP INDEX `executions_event`;--> statement-breakpoint
CREATE INDEX `executions_event_pipeline` ON `executions` (`event_id`) WHERE event_id IS NOT NULL AND pipeline_run_id IS NOT NULL;--> statement-breakpoint
-- The attempts of one execution in order (a run's timeline, "is there a newer attempt").
DROP INDEX `runs_execution`;--> statement-breakpoint
CREATE INDEX `runs_execution` ON `runs` (`execution_id`,`attempt`);
