DROP INDEX `users_org`;--> statement-breakpoint
DROP INDEX `users_email`;--> statement-breakpoint
CREATE UNIQUE INDEX `users_org_email` ON `users` (`org_id`,`email`);--> statement-breakpoint
CREATE INDEX `users_email` ON `users` (`email`);--> statement-breakpoint
ALTER TABLE `triggers` ADD `claimed_due_at` text;--> statement-breakpoint
CREATE INDEX `triggers_claimed` ON `triggers` (`claimed_due_at`) WHERE claimed_due_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `route_error` text;--> statement-breakpoint
ALTER TABLE `events` ADD `route_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `events_unrouted` ON `events` (`received_at`) WHERE status = 'received';--> statement-breakpoint
ALTER TABLE `actions` ADD `last_error` text;--> statement-breakpoint
CREATE INDEX `actions_claimed` ON `actions` (`claimed_due_at`) WHERE claimed_due_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `lease_until` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `recoveries` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_lease` ON `runs` (`lease_until`) WHERE lease_until IS NOT NULL;--> statement-breakpoint
ALTER TABLE `pipeline_runs` ADD `last_error` text;--> statement-breakpoint
CREATE INDEX `pipeline_runs_active` ON `pipeline_runs` (`updated_at`) WHERE status = 'running';