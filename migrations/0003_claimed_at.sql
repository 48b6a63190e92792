DROP INDEX `triggers_claimed`;--> statement-breakpoint
ALTER TABLE `triggers` ADD `claimed_at` text;--> statement-breakpoint
CREATE INDEX `triggers_claimed` ON `triggers` (`claimed_at`) WHERE claimed_due_at IS NOT NULL;--> statement-breakpoint
DROP INDEX `actions_claimed`;--> statement-breakpoint
ALTER TABLE `actions` ADD `claimed_at` text;--> statement-breakpoint
CREATE INDEX `actions_claimed` ON `actions` (`claimed_at`) WHERE claimed_due_at IS NOT NULL;