CREATE TABLE `event_forwards` (
	`forward_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`event_id` text NOT NULL,
	`target` text NOT NULL,
	`status` integer,
	`response_body` text,
	`duration_ms` integer NOT NULL,
	`error` text,
	`recorded_by` text NOT NULL,
	`forwarded_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `event_forwards_event` ON `event_forwards` (`org_id`,`event_id`,`forward_id`);