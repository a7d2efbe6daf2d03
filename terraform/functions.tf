# One gen2 Cloud Function per manifest function (local.functions), all built from the same
# source zip: the package "main" (dist/functions/index.js) registers every target, and
# entry_point picks one.

locals {
  # Writes accept the Scheduler's OIDC token, verified against Google's keys for the audiences
  # its jobs name (FUNCTIONS_BASE_URL/<function>); any other bearer is refused (shared/http/auth.ts).
  identity_env = {
    AUTH_ALLOWED_EMAILS = google_service_account.scheduler.email
    AUTH_AUDIENCES      = join(",", [for name in keys(local.write_functions) : "${local.functions_base_url}/${name}"])
  }
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  name        = each.key
  location    = var.region
  description = each.value.description

  build_config {
    runtime         = "nodejs22"
    entry_point     = each.value.entryPoint
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory                 = local.function_sizing[each.key].memory
    available_cpu                    = local.function_sizing[each.key].cpu
    timeout_seconds                  = local.function_sizing[each.key].timeout_seconds
    max_instance_request_concurrency = local.function_sizing[each.key].concurrency
    min_instance_count               = lookup(var.function_min_instances, each.key, 0)
    max_instance_count               = lookup(var.function_max_instances, each.key, var.default_max_instances)
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function[each.key].email
    environment_variables            = merge(local.app_env, local.identity_env, local.function_sizing[each.key].env)

    secret_environment_variables {
      key        = "DB_PASSWORD"
      project_id = var.project_id
      secret     = google_secret_manager_secret.db_password["application"].secret_id
      version    = "latest"
    }

    dynamic "secret_environment_variables" {
      for_each = var.api_key_secret_id != "" && each.value.access == "write" ? [var.api_key_secret_id] : []
      content {
        key        = "API_KEY"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }

    dynamic "secret_environment_variables" {
      for_each = var.openf1_token_secret_id != "" && each.key == "ingest" ? [var.openf1_token_secret_id] : []
      content {
        key        = "OPENF1_TOKEN"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  # An instance connects at start-up: its access must exist before the first revision.
  depends_on = [
    google_secret_manager_secret_version.db_password["application"],
    google_secret_manager_secret_iam_member.app_db_password,
    google_project_iam_member.sql_client,
    google_storage_bucket_iam_member.artifacts_viewer,
    google_project_iam_member.function_build,
    google_storage_bucket_iam_member.function_build_source,
  ]
}
