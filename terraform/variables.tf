# --- Project -------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The GCP project that hosts this pitwall environment (one project per environment)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of every regional resource: Cloud SQL, functions, the training job, Scheduler, buckets, Artifact Registry."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a GCP region such as europe-west1 or us-central1."
  }
}

variable "environment" {
  type        = string
  description = "Name of the environment, used in labels and the Terraform state prefix."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra labels put on every resource that takes labels."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Protects the database instance, the training job and the artifact bucket from deletion. Turn off (and apply) before terraform destroy."
  default     = true
}

# --- Cloud SQL -----------------------------------------------------------------------

variable "sql_instance_name" {
  type        = string
  description = "Name of the Cloud SQL instance. A deleted instance's name cannot be reused for about a week."
  default     = "pitwall"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,95}[a-z0-9]$", var.sql_instance_name))
    error_message = "sql_instance_name must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "db_tier" {
  type        = string
  description = "Machine tier of the Cloud SQL instance: db-f1-micro (shared core, 25 connections) is the cheapest; db-g1-small allows 50 connections."
  default     = "db-f1-micro"

  validation {
    condition     = can(regex("^db-(f1-micro|g1-small|custom-[0-9]+-[0-9]+|perf-optimized-N-[0-9]+)$", var.db_tier))
    error_message = "db_tier must be db-f1-micro, db-g1-small or db-custom-CPUS-MEMORY_MB."
  }
}

variable "db_availability_type" {
  type        = string
  description = "ZONAL (one zone) or REGIONAL (high availability, about double the price)."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.db_availability_type)
    error_message = "db_availability_type must be ZONAL or REGIONAL."
  }
}

variable "db_disk_size_gb" {
  type        = number
  description = "Initial SSD size of the database in GB; it grows automatically."
  default     = 10

  validation {
    condition     = var.db_disk_size_gb >= 10 && var.db_disk_size_gb <= 1000
    error_message = "db_disk_size_gb must be between 10 and 1000."
  }
}

variable "db_point_in_time_recovery" {
  type        = bool
  description = "Keeps write-ahead logs for point-in-time recovery (recommended in prod)."
  default     = false
}

variable "db_backup_retained_count" {
  type        = number
  description = "How many daily automated backups to keep."
  default     = 7

  validation {
    condition     = var.db_backup_retained_count >= 1 && var.db_backup_retained_count <= 365
    error_message = "db_backup_retained_count must be between 1 and 365."
  }
}

variable "db_name" {
  type        = string
  description = "Name of the pitwall database."
  default     = "pitwall"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must be a lowercase PostgreSQL identifier."
  }
}

variable "db_user" {
  type        = string
  description = "Built-in PostgreSQL user the functions and jobs connect as: owns nothing, gets only DML from `pitwall migrate`. Its password is generated and kept in Secret Manager (pitwall-db-app-password)."
  default     = "pitwall_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_user)) && var.db_user != "postgres"
    error_message = "db_user must be a lowercase PostgreSQL identifier other than postgres."
  }
}

variable "db_migration_user" {
  type        = string
  description = "Built-in PostgreSQL user that runs the migrations and owns the schema (never given to a function or job). Its password is generated and kept in Secret Manager (pitwall-db-password)."
  default     = "pitwall"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_migration_user)) && var.db_migration_user != "postgres"
    error_message = "db_migration_user must be a lowercase PostgreSQL identifier other than postgres."
  }
}

variable "db_pool_max" {
  type        = number
  description = "Connections per function instance. Keep (sum of max instances) x this under the tier's connection limit."
  default     = 2

  validation {
    condition     = var.db_pool_max >= 1 && var.db_pool_max <= 20
    error_message = "db_pool_max must be between 1 and 20."
  }
}

# --- Storage -------------------------------------------------------------------------

variable "artifact_noncurrent_days" {
  type        = number
  description = "Days an overwritten or deleted model artifact version is kept before the lifecycle rule deletes it."
  default     = 30

  validation {
    condition     = var.artifact_noncurrent_days >= 1
    error_message = "artifact_noncurrent_days must be at least 1."
  }
}

# --- Functions -----------------------------------------------------------------------

variable "allowed_origins" {
  type        = list(string)
  description = "Origins (scheme://host[:port]) whose web pages may call the read API from a browser (CORS, ALLOWED_ORIGINS); [\"*\"] for any. Default: none."
  default     = []
}

variable "public_read_api" {
  type        = bool
  description = "Lets anyone (allUsers) call the read-only functions (api: read API and dashboard; pits: pit-stop probabilities). Write functions are never public."
  default     = true
}

variable "function_invokers" {
  type        = list(string)
  description = "IAM members (user:, group:, serviceAccount:) who may call the write functions by hand, e.g. to ingest."
  default     = []

  validation {
    condition     = alltrue([for m in var.function_invokers : can(regex("^(user|group|serviceAccount|domain):", m))])
    error_message = "function_invokers must be user:, group:, serviceAccount: or domain: members; allUsers and allAuthenticatedUsers are not allowed."
  }
}

variable "api_key_secret_id" {
  type        = string
  description = "Optional Secret Manager secret (in this project) holding an API key; when set, write functions also accept X-API-Key (for people), beside the Scheduler's verified identity token."
  default     = ""
}

variable "openf1_token_secret_id" {
  type        = string
  description = "Optional Secret Manager secret (in this project) holding an OpenF1 access token. OpenF1 serves a session while it runs only to authenticated users: when set, the ingest function gets it as OPENF1_TOKEN and the schedule function plans a live-timing job for each race (LIVE_TIMING)."
  default     = ""
}

variable "function_min_instances" {
  type        = map(number)
  description = "Minimum instances by function directory name (e.g. { api = 1 } to avoid cold starts); unlisted functions scale to zero."
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.function_min_instances) : n >= 0 && n <= 10])
    error_message = "function_min_instances values must be between 0 and 10."
  }
}

variable "function_max_instances" {
  type        = map(number)
  description = "Maximum instances by function directory name; unlisted functions use default_max_instances."
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.function_max_instances) : n >= 1 && n <= 100])
    error_message = "function_max_instances values must be between 1 and 100."
  }
}

variable "default_max_instances" {
  type        = number
  description = "Maximum instances of a function not listed in function_max_instances."
  default     = 3

  validation {
    condition     = var.default_max_instances >= 1 && var.default_max_instances <= 100
    error_message = "default_max_instances must be between 1 and 100."
  }
}

# --- Training job --------------------------------------------------------------------

variable "training_image_tag" {
  type        = string
  description = "Tag of the training image in the pitwall Artifact Registry repository (Cloud Build pushes one per build)."
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.training_image_tag))
    error_message = "training_image_tag must be a valid Docker tag."
  }
}

variable "training_cpu" {
  type        = string
  description = "vCPUs of the training task."
  default     = "2"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.training_cpu)
    error_message = "training_cpu must be 1, 2, 4, 6 or 8."
  }
}

variable "training_memory" {
  type        = string
  description = "Memory of the training task (Cloud Run quantity, e.g. 4Gi)."
  default     = "4Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.training_memory))
    error_message = "training_memory must look like 2048Mi or 4Gi."
  }
}

variable "training_timeout_seconds" {
  type        = number
  description = "Timeout of one training attempt, in seconds."
  default     = 3600

  validation {
    condition     = var.training_timeout_seconds >= 60 && var.training_timeout_seconds <= 86400
    error_message = "training_timeout_seconds must be between 60 and 86400."
  }
}

variable "training_max_retries" {
  type        = number
  description = "Retries of a failed training task."
  default     = 1

  validation {
    condition     = var.training_max_retries >= 0 && var.training_max_retries <= 10
    error_message = "training_max_retries must be between 0 and 10."
  }
}

# --- Scheduler -----------------------------------------------------------------------

variable "scheduler_time_zone" {
  type        = string
  description = "Time zone of the recurring Cloud Scheduler jobs."
  default     = "Etc/UTC"
}

variable "result_sync_schedule" {
  type        = string
  description = "Cron schedule of the daily result sync (catches any race whose per-race sync failed)."
  default     = "0 6 * * *"

  validation {
    condition     = length(split(" ", var.result_sync_schedule)) == 5
    error_message = "result_sync_schedule must be a five-field cron expression."
  }
}

variable "calendar_refresh_schedule" {
  type        = string
  description = "Cron schedule of the daily call to the schedule function, which creates the per-race freeze and sync jobs."
  default     = "30 5 * * *"

  validation {
    condition     = length(split(" ", var.calendar_refresh_schedule)) == 5
    error_message = "calendar_refresh_schedule must be a five-field cron expression."
  }
}

variable "retrain_schedule" {
  type        = string
  description = "Cron schedule of the weekly training job run."
  default     = "0 4 * * 2"

  validation {
    condition     = length(split(" ", var.retrain_schedule)) == 5
    error_message = "retrain_schedule must be a five-field cron expression."
  }
}

variable "backtest_tasks" {
  type        = number
  description = "Tasks of the backtest job (2014–2024: 11, one season each)."
  default     = 11

  validation {
    condition     = var.backtest_tasks >= 1 && var.backtest_tasks <= 11
    error_message = "backtest_tasks must be between 1 and 11 (one per season at most)."
  }
}
