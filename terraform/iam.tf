# Least privilege: every function, the training job, the function build and Cloud Scheduler
# each have their own service account with only the roles they use.

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = "pitwall-fn-${each.key}"
  display_name = "pitwall ${each.key} function"

  # Checked here because everything else of a function depends on its account: a plan fails on
  # these before any expression reads a sizing that is not there.
  lifecycle {
    precondition {
      condition     = contains(keys(local.function_sizing), each.key)
      error_message = "Function \"${each.key}\" of shared/app/function-manifest.json has no entry in local.function_sizing (terraform/main.tf)."
    }
    precondition {
      condition     = length(setsubtract(keys(local.function_sizing), keys(local.functions))) == 0
      error_message = "local.function_sizing (terraform/main.tf) sizes ${join(", ", setsubtract(keys(local.function_sizing), keys(local.functions)))}, which shared/app/function-manifest.json does not declare."
    }
  }
}

resource "google_service_account" "function_build" {
  account_id   = "pitwall-fn-build"
  display_name = "pitwall function builds"
}

resource "google_service_account" "train" {
  account_id   = "pitwall-train"
  display_name = "pitwall training job"
}

resource "google_service_account" "scheduler" {
  account_id   = "pitwall-scheduler"
  display_name = "pitwall Cloud Scheduler invoker"
}

locals {
  # Everything that opens the database: every function and the training job.
  database_clients = merge(
    { for name, sa in google_service_account.function : "fn-${name}" => "serviceAccount:${sa.email}" },
    { train = "serviceAccount:${google_service_account.train.email}" },
  )
}

# --- Database --------------------------------------------------------------------------

# Connector access (cloudsql.instances.connect); Cloud SQL has no instance-level IAM.
resource "google_project_iam_member" "sql_client" {
  for_each = local.database_clients

  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = each.value
}

# The application user's password only: no function or job can read the owner's.
resource "google_secret_manager_secret_iam_member" "app_db_password" {
  for_each = local.database_clients

  secret_id = google_secret_manager_secret.db_password["application"].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value
}

resource "google_secret_manager_secret_iam_member" "api_key" {
  # A filter rather than `cond ? local.x : {}`, whose branches Terraform rejects as differently typed objects.
  for_each = { for name, f in local.write_functions : name => f if var.api_key_secret_id != "" }

  project   = var.project_id
  secret_id = var.api_key_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "openf1_token" {
  # Only the ingest function polls OpenF1 live.
  for_each = { for name, f in local.functions : name => f if var.openf1_token_secret_id != "" && name == "ingest" }

  project   = var.project_id
  secret_id = var.openf1_token_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.key].email}"
}

# --- Artifacts -------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "artifacts_viewer" {
  for_each = { for name, s in local.function_sizing : name => s if s.artifacts == "viewer" }

  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.function[each.key].email}"
}

resource "google_storage_bucket_iam_member" "artifacts_train" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.train.email}"
}

# --- Function builds -------------------------------------------------------------------

resource "google_project_iam_member" "function_build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.function_build.email}"
}

resource "google_storage_bucket_iam_member" "function_build_source" {
  bucket = google_storage_bucket.function_source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.function_build.email}"
}

# --- Scheduling ------------------------------------------------------------------------

# The schedule function manages the per-race jobs (Scheduler has no per-job IAM) ...
resource "google_project_iam_member" "schedule_scheduler_admin" {
  project = var.project_id
  role    = "roles/cloudscheduler.admin"
  member  = "serviceAccount:${google_service_account.function["schedule"].email}"
}

# The api function reads the jobs' state for GET /jobs/status (list and get, nothing more).
resource "google_project_iam_member" "api_scheduler_viewer" {
  project = var.project_id
  role    = "roles/cloudscheduler.viewer"
  member  = "serviceAccount:${google_service_account.function["api"].email}"
}

# ... and gives them the scheduler identity, which it must be allowed to act as.
resource "google_service_account_iam_member" "schedule_acts_as_scheduler" {
  service_account_id = google_service_account.scheduler.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.function["schedule"].email}"
}

# --- Who may call what -----------------------------------------------------------------

# Cloud Scheduler calls the write functions with an OIDC token of its own service account.
resource "google_cloud_run_service_iam_member" "scheduler_invoker" {
  for_each = local.write_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_training" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.job["train"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# People or pipelines named in var.function_invokers may call the write functions.
resource "google_cloud_run_service_iam_member" "operator_invoker" {
  for_each = {
    for pair in setproduct(keys(local.write_functions), var.function_invokers) :
    "${pair[0]} ${pair[1]}" => { function = pair[0], member = pair[1] }
  }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.value.function].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

# Only the read functions may be public, and only when var.public_read_api is true.
resource "google_cloud_run_service_iam_member" "public_read" {
  for_each = { for name, f in local.read_functions : name => f if var.public_read_api }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
