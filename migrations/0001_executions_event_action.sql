ALTER TABLE `executions` ADD `slot` text;--> statement-breakpoint
CREATE UNIQUE INDEX `executions_event_action` ON `executions` (`event_id`,`action_id`) WHERE event_id IS NOT NULL AND pipeline_run_id IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `executions_action_slot` ON `executions` (`action_id`,`slot`) WHERE slot IS NOT NULL;