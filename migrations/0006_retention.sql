ALTER TABLE `orgs` ADD `retention_days` integer;--> statement-breakpoint
ALTER TABLE `orgs` ADD `purged_events` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `purged_executions` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `purged_runs` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `purged_bodies` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orgs` ADD `last_purge_at` text;--> statement-breakpoint
ALTER TABLE `events` ADD `body_purged_at` text;--> statement-breakpoint
CREATE INDEX `events_body_kept` ON `events` (length(CAST(body AS BLOB)),`received_at`) WHERE body_purged_at IS NULL;--> statement-breakpoint
CREATE INDEX `executions_org_updated` ON `executions` (`org_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `executions_event` ON `executions` (`event_id`) WHERE event_id IS NOT NULL;