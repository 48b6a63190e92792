CREATE TABLE `ended_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ended_sessions_expiry` ON `ended_sessions` (`expires_at`);--> statement-breakpoint
ALTER TABLE `runs` ADD `request_headers` text;--> statement-breakpoint
CREATE INDEX `runs_org` ON `runs` (`org_id`,`run_id`);--> statement-breakpoint
CREATE INDEX `runs_org_status` ON `runs` (`org_id`,`status`,`run_id`);--> statement-breakpoint
CREATE INDEX `runs_org_time` ON `runs` (`org_id`,`triggered_at`,`status`);--> statement-breakpoint
CREATE INDEX `events_org_received` ON `events` (`org_id`,`received_at`,`status`);--> statement-breakpoint
CREATE INDEX `events_trigger_time` ON `events` (`project_trigger_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `pipeline_runs_waiting` ON `pipeline_runs` (`org_id`,`pipeline_run_id`) WHERE status = 'pending_approval';