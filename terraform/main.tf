# pitwall on Google Cloud: one Cloud Function per functions/<dir>, a Cloud Run training job,
# Cloud SQL Postgres, a GCS artifact bucket and the Scheduler jobs that drive a season.
# Resources are split by concern: sql.tf, storage.tf, functions.tf, job.tf, scheduler.tf, iam.tf.

locals {
  labels = merge({ app = "pitwall", environment = var.environment }, var.labels)

  # One entry per directory under functions/ (test/infra checks both directions). The key is
  # the directory and the deployed function's name, so every function URL is
  # FUNCTIONS_BASE_URL/<key>. entry_point is the target its index.ts registers with http().
  # access: write functions are never public; read functions are public when var.public_read_api.
  # artifacts: the function's role on the artifact bucket (none, viewer).
  functions = {
    ingest = {
      entry_point     = "ingest"
      description     = "Loads dumps, lap exports and API data into Postgres."
      access          = "write"
      artifacts       = "viewer"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 540
      concurrency     = 1
      env             = {}
    }
    predict = {
      entry_point     = "predict"
      description     = "Freezes the pre-race forecast of a race."
      access          = "write"
      artifacts       = "viewer"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 8
      env             = {}
    }
    "sync-results" = {
      entry_point     = "syncResults"
      description     = "Stores the official classification of a race, then evaluates it."
      access          = "write"
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 300
      concurrency     = 1
      env             = local.sync_results_env
    }
    evaluate = {
      entry_point     = "evaluate"
      description     = "Scores the frozen forecast of a race against its result."
      access          = "write"
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 4
      env             = {}
    }
    schedule = {
      entry_point     = "schedule"
      description     = "Creates, updates and deletes the per-race Cloud Scheduler jobs."
      access          = "write"
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 1
      env             = local.schedule_env
    }
    api = {
      entry_point     = "api"
      description     = "Public read API and dashboard."
      access          = "read"
      artifacts       = "viewer"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 60
      concurrency     = 40
      # functions-framework answers /favicon.ico and /robots.txt with 404 itself unless told not to.
      env = { IGNORED_ROUTES = "" }
    }
    pits = {
      entry_point     = "pits"
      description     = "Pit-stop probabilities for a race at a lap (stored or live laps)."
      access          = "read"
      artifacts       = "viewer"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 60
      concurrency     = 8
      env             = {}
    }
  }

  write_functions = { for name, f in local.functions : name => f if f.access == "write" }
  read_functions  = { for name, f in local.functions : name => f if f.access == "read" }

  # Gen2 functions also answer at https://REGION-PROJECT.cloudfunctions.net/NAME.
  functions_base_url = "https://${var.region}-${var.project_id}.cloudfunctions.net"

  # The configuration every deployed function and the training job get (see
  # shared/config/config.ts productionEnvSchema). DB_PASSWORD comes from Secret Manager.
  app_env = {
    PITWALL_ENV        = "production"
    CLOUD_SQL_INSTANCE = google_sql_database_instance.main.connection_name
    DB_USER            = google_sql_user.application.name
    DB_NAME            = google_sql_database.app.name
    DB_IAM_AUTH        = "false"
    DB_POOL_MAX        = tostring(var.db_pool_max)
    ARTIFACT_STORE_URI = "gs://${google_storage_bucket.artifacts.name}/artifacts"
    GCP_PROJECT        = var.project_id
    GCP_REGION         = var.region
    LOG_FORMAT         = "json"
  }

  sync_results_env = {
    RESULTS_SOURCE = "jolpica"
  }

  schedule_env = {
    SCHEDULER_SERVICE_ACCOUNT = google_service_account.scheduler.email
    FUNCTIONS_BASE_URL        = local.functions_base_url
  }

  job_env = {
    GIT_COMMIT = var.training_image_tag
  }

  training_image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/train:${var.training_image_tag}"
}
