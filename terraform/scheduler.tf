# Recurring jobs. The per-race jobs (freeze after qualifying, result sync after the race) are
# created at run time by the schedule function, which the daily calendar refresh calls. The
# manifest's scheduledBy names each job under the function it calls (test/infra checks both).

locals {
  # The recurring calls of a function: each POSTs to the function's URL (plus path) with an
  # OIDC token whose audience is that URL, as the per-race jobs name it: the audience its token
  # check accepts (AUTH_AUDIENCES).
  function_schedules = {
    calendar_refresh = {
      name             = "pitwall-calendar-refresh"
      description      = "Creates the per-race freeze and result-sync jobs of the coming races."
      schedule         = var.calendar_refresh_schedule
      attempt_deadline = "180s"
      function         = "schedule"
      path             = ""
      retry            = { retry_count = 3, min_backoff_duration = "60s", max_backoff_duration = "600s", max_doublings = null }
    }
    result_sync = {
      name             = "pitwall-daily-result-sync"
      description      = "Syncs and evaluates the latest finished race (a safety net for the per-race jobs)."
      schedule         = var.result_sync_schedule
      attempt_deadline = "600s"
      function         = "sync-results"
      path             = "/latest"
      retry            = { retry_count = 5, min_backoff_duration = "300s", max_backoff_duration = "3600s", max_doublings = 3 }
    }
  }
}

# Each job was a resource of its own before they shared this one.
moved {
  from = google_cloud_scheduler_job.calendar_refresh
  to   = google_cloud_scheduler_job.function_call["calendar_refresh"]
}

moved {
  from = google_cloud_scheduler_job.result_sync
  to   = google_cloud_scheduler_job.function_call["result_sync"]
}

resource "google_cloud_scheduler_job" "function_call" {
  for_each = local.function_schedules

  name             = each.value.name
  description      = each.value.description
  region           = var.region
  schedule         = each.value.schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = each.value.attempt_deadline

  retry_config {
    retry_count          = each.value.retry.retry_count
    min_backoff_duration = each.value.retry.min_backoff_duration
    max_backoff_duration = each.value.retry.max_backoff_duration
    max_doublings        = each.value.retry.max_doublings
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloudfunctions2_function.function[each.value.function].service_config[0].uri}${each.value.path}"

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = "${local.functions_base_url}/${each.value.function}"
    }
  }
}

resource "google_cloud_scheduler_job" "retrain" {
  name             = "pitwall-weekly-retrain"
  description      = "Runs the training job."
  region           = var.region
  schedule         = var.retrain_schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "60s"

  retry_config {
    retry_count = 2
  }

  # The Cloud Run Admin API starts an execution; the job itself retries failed tasks.
  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.job["train"].id}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }
}
