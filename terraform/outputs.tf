output "function_urls" {
  description = "URL of each function, by functions/ directory."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "api_url" {
  description = "URL of the read API and dashboard (GET /health checks the database, model and artifact store)."
  value       = google_cloudfunctions2_function.function["api"].service_config[0].uri
}

output "functions_base_url" {
  description = "Base URL under which every function answers as /<directory>."
  value       = local.functions_base_url
}

output "artifact_bucket" {
  description = "GCS bucket of the model artifacts."
  value       = google_storage_bucket.artifacts.name
}

output "function_source_bucket" {
  description = "GCS bucket of the zipped function source."
  value       = google_storage_bucket.function_source.name
}

output "sql_connection_name" {
  description = "Cloud SQL instance connection name (CLOUD_SQL_INSTANCE)."
  value       = google_sql_database_instance.main.connection_name
}

output "db_password_secret_id" {
  description = "Secret Manager secret that holds the migration owner's password (DB_PASSWORD of `pitwall migrate`)."
  value       = google_secret_manager_secret.db_password["owner"].secret_id
}

output "db_migration_user" {
  description = "PostgreSQL user that runs `pitwall migrate` and owns the schema."
  value       = google_sql_user.owner.name
}

output "db_app_password_secret_id" {
  description = "Secret Manager secret that holds the application user's password (DB_PASSWORD of the functions and jobs)."
  value       = google_secret_manager_secret.db_password["application"].secret_id
}

output "training_image" {
  description = "Image the training job runs."
  value       = local.training_image
}

output "training_image_repository" {
  description = "Artifact Registry path to push training images to (append :TAG)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/train"
}

output "training_job_name" {
  description = "Name of the Cloud Run training job (gcloud run jobs execute NAME)."
  value       = google_cloud_run_v2_job.job["train"].name
}

output "service_accounts" {
  description = "Service account email of each function, the training job and the scheduler."
  value = merge(
    { for name, sa in google_service_account.function : name => sa.email },
    { train = google_service_account.train.email, scheduler = google_service_account.scheduler.email },
  )
}

output "env_vars" {
  description = "The configuration the functions get (add DB_PASSWORD from Secret Manager), for running the pitwall CLI against this environment."
  value       = merge(local.app_env, local.sync_results_env, local.schedule_env)
}
