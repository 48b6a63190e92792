ALTER TABLE `orgs` ADD `operational_endpoint_id` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `cb_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `cb_failure_threshold` integer DEFAULT 20 NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `cb_failing_for_seconds` integer DEFAULT 86400 NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `cb_probe_interval_seconds` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `rate_limit_count` integer;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `rate_limit_period` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `max_concurrency` integer;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `ordering` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `circuit_state` text DEFAULT 'closed' NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `circuit_reason` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `circuit_changed_at` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `circuit_changed_by` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `consecutive_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `failing_since` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `probe_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `next_probe_at` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `probe_run_id` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `last_failure_at` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `last_failure_status` integer;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `last_failure_error` text;--> statement-breakpoint
CREATE INDEX `endpoints_open` ON `endpoints` (`next_probe_at`) WHERE circuit_state IN ('open', 'half_open');--> statement-breakpoint
ALTER TABLE `runs` ADD `held_reason` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `order_key` text;--> statement-breakpoint
CREATE INDEX `runs_held` ON `runs` (`action_id`,`run_id`) WHERE status = 'held';