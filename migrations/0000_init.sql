CREATE TABLE `orgs` (
	`org_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `workspaces` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `workspaces_org` ON `workspaces` (`org_id`);--> statement-breakpoint
CREATE TABLE `apps` (
	`app_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `apps_org_ws` ON `apps` (`org_id`,`workspace_id`);--> statement-breakpoint
CREATE TABLE `endpoints` (
	`endpoint_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`app_id` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`method` text DEFAULT 'POST' NOT NULL,
	`headers` text DEFAULT '{}' NOT NULL,
	`secret_enc` text,
	`timeout_seconds` integer DEFAULT 30 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `endpoints_app` ON `endpoints` (`org_id`,`app_id`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`revoked_at` text,
	`last_used_at` text
);
--> statement-breakpoint
CREATE INDEX `api_keys_org` ON `api_keys` (`org_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_org` ON `users` (`org_id`);--> statement-breakpoint
CREATE TABLE `connections` (
	`connection_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`name` text NOT NULL,
	`secrets_enc` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `connections_org` ON `connections` (`org_id`);--> statement-breakpoint
CREATE TABLE `triggers` (
	`project_trigger_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`connection_id` text,
	`provider_id` text NOT NULL,
	`trigger_id` text NOT NULL,
	`trigger_type` text NOT NULL,
	`webhook_data` text,
	`cursor_data` text,
	`trigger_config` text,
	`status` text DEFAULT 'DISABLED' NOT NULL,
	`route_key` text,
	`next_due_at` text,
	`last_error` text,
	`last_polled_at` text,
	`created_by` text NOT NULL,
	`updated_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `triggers_org_project` ON `triggers` (`org_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `triggers_route` ON `triggers` (`provider_id`,`route_key`);--> statement-breakpoint
CREATE INDEX `triggers_due` ON `triggers` (`status`,`next_due_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`app_id` text NOT NULL,
	`project_trigger_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`event_type` text,
	`dedup_key` text NOT NULL,
	`headers` text NOT NULL,
	`body` text NOT NULL,
	`status` text DEFAULT 'received' NOT NULL,
	`matched_actions` text,
	`replay_of` text,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_dedup` ON `events` (`project_trigger_id`,`dedup_key`);--> statement-breakpoint
CREATE INDEX `events_org_time` ON `events` (`org_id`,`event_id`);--> statement-breakpoint
CREATE TABLE `actions` (
	`action_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`app_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`namespace_id` text NOT NULL,
	`thread_mode` text DEFAULT 'new_each_run' NOT NULL,
	`thread_id` text,
	`thread_id_template` text,
	`payload` text DEFAULT '{}' NOT NULL,
	`action_type` text DEFAULT 'trigger' NOT NULL,
	`schedule_type` text,
	`cron_expression` text,
	`scheduled_at` text,
	`timezone` text,
	`max_retries` integer DEFAULT 0 NOT NULL,
	`retry_delay_seconds` integer DEFAULT 60 NOT NULL,
	`is_enabled` integer DEFAULT true NOT NULL,
	`running_count` integer DEFAULT 0 NOT NULL,
	`next_run_at` text,
	`claimed_due_at` text,
	`last_run_at` text,
	`last_run_status` text,
	`last_execution_id` text,
	`total_runs` integer DEFAULT 0 NOT NULL,
	`successful_runs` integer DEFAULT 0 NOT NULL,
	`failed_runs` integer DEFAULT 0 NOT NULL,
	`trigger_ids` text DEFAULT '[]' NOT NULL,
	`filter` text,
	`approval_required` integer DEFAULT false NOT NULL,
	`manual_inputs_schema` text,
	`headers_template` text,
	`entity_type` text,
	`owner` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `actions_app` ON `actions` (`org_id`,`app_id`);--> statement-breakpoint
CREATE INDEX `actions_due` ON `actions` (`is_enabled`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `executions` (
	`execution_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`app_id` text NOT NULL,
	`action_id` text NOT NULL,
	`trigger_type` text NOT NULL,
	`status` text NOT NULL,
	`event_id` text,
	`project_trigger_id` text,
	`pipeline_run_id` text,
	`step_index` integer,
	`inputs` text,
	`target` text,
	`env` text,
	`user` text,
	`invoked_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `executions_action` ON `executions` (`org_id`,`action_id`);--> statement-breakpoint
CREATE INDEX `executions_pipeline_run` ON `executions` (`pipeline_run_id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`run_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`action_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`status` text NOT NULL,
	`attempt` integer NOT NULL,
	`trigger_type` text NOT NULL,
	`triggered_at` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`duration_seconds` real,
	`resolved_payload` text,
	`resolved_thread_id` text,
	`response_status` integer,
	`response_body` text,
	`error_message` text,
	`error_code` text,
	`decided_by` text,
	`decision_message` text,
	`decided_at` text
);
--> statement-breakpoint
CREATE INDEX `runs_action` ON `runs` (`org_id`,`action_id`,`run_id`);--> statement-breakpoint
CREATE INDEX `runs_execution` ON `runs` (`execution_id`);--> statement-breakpoint
CREATE TABLE `pipelines` (
	`pipeline_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`app_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`steps` text NOT NULL,
	`variables` text,
	`state` text DEFAULT 'idle' NOT NULL,
	`current_run_id` text,
	`current_step` integer,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pipelines_org` ON `pipelines` (`org_id`,`app_id`);--> statement-breakpoint
CREATE TABLE `pipeline_runs` (
	`pipeline_run_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`status` text NOT NULL,
	`current_step` integer DEFAULT 0 NOT NULL,
	`env` text,
	`trigger_type` text NOT NULL,
	`history` text DEFAULT '[]' NOT NULL,
	`invoked_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pipeline_runs_pipeline` ON `pipeline_runs` (`org_id`,`pipeline_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`audit_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text,
	`result` text NOT NULL,
	`status_code` integer,
	`request_id` text,
	`details` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_org` ON `audit_log` (`org_id`,`audit_id`);