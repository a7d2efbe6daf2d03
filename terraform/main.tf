# pitwall on Google Cloud: one Cloud Function per function of shared/app/function-manifest.json,
# a Cloud Run training job, Cloud SQL Postgres, a GCS artifact bucket and the Scheduler jobs
# that drive a season.
# Resources are split by concern: sql.tf, storage.tf, functions.tf, job.tf, scheduler.tf, iam.tf.

locals {
  labels = merge({ app = "pitwall", environment = var.environment }, var.labels)

  # The functions pitwall deploys, keyed by name: shared/app/function-manifest.json declares them
  # once for the code, the dev server, this module and the infra tests (read its $comment).
  # Each has a name (its functions/<name> directory and deployed name, so its URL is
  # FUNCTIONS_BASE_URL/<name>), an entryPoint (the target its index.ts registers), an access
  # (write functions are never public; read functions are public when var.public_read_api)
  # and a description. The path is from this module, in the repository (Cloud Build plans in terraform/).
  manifest  = jsondecode(file("${path.module}/../shared/app/function-manifest.json"))
  functions = { for f in local.manifest.functions : f.name => f }

  # How each manifest function is deployed, by name: what the manifest leaves to Terraform.
  # The preconditions on google_service_account.function fail the plan when a manifest
  # function has no entry here or an entry names no manifest function.
  # artifacts: the function's role on the artifact bucket (none, viewer).
  function_sizing = {
    ingest = {
      artifacts       = "viewer"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 540
      concurrency     = 1
      env             = {}
    }
    predict = {
      artifacts       = "viewer"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 8
      env             = {}
    }
    "sync-results" = {
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 300
      concurrency     = 1
      env             = local.sync_results_env
    }
    evaluate = {
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 4
      env             = {}
    }
    schedule = {
      artifacts       = "none"
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 1
      env             = local.schedule_env
    }
    api = {
      artifacts = "viewer"
      memory    = "512Mi"
      cpu       = "1"
      # A live view holds one Server-Sent Events request open (it reconnects with Last-Event-ID
      # when the timeout ends it), so an instance takes many mostly idle requests at once.
      timeout_seconds = 900
      concurrency     = 250
      # functions-framework answers /favicon.ico and /robots.txt with 404 itself unless told not to;
      # pages on other origins may read the API when var.allowed_origins names them (CORS).
      env = { IGNORED_ROUTES = "", ALLOWED_ORIGINS = join(",", var.allowed_origins) }
    }
    pits = {
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
    # A live-timing job per race only when the ingest function has an OpenF1 token to poll with.
    LIVE_TIMING = var.openf1_token_secret_id != "" ? "true" : "false"
  }

  job_env = {
    GIT_COMMIT = var.training_image_tag
  }

  training_image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/train:${var.training_image_tag}"
}
