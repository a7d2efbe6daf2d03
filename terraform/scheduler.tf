# Recurring jobs. The per-race jobs (freeze after qualifying, result sync after the race) are
# created at run time by the schedule function, which the daily calendar refresh calls. The
# manifest's scheduledBy names each job under the function it calls (test/infra checks both).

resource "google_cloud_scheduler_job" "calendar_refresh" {
  name             = "pitwall-calendar-refresh"
  description      = "Creates the per-race freeze and result-sync jobs of the coming races."
  region           = var.region
  schedule         = var.calendar_refresh_schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "180s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.function["schedule"].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      # The function's own URL, as the per-race jobs name it: the audience its token check accepts (AUTH_AUDIENCES).
      audience = "${local.functions_base_url}/schedule"
    }
  }
}

resource "google_cloud_scheduler_job" "result_sync" {
  name             = "pitwall-daily-result-sync"
  description      = "Syncs and evaluates the latest finished race (a safety net for the per-race jobs)."
  region           = var.region
  schedule         = var.result_sync_schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "600s"

  retry_config {
    retry_count          = 5
    min_backoff_duration = "300s"
    max_backoff_duration = "3600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloudfunctions2_function.function["sync-results"].service_config[0].uri}/latest"

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = "${local.functions_base_url}/sync-results"
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
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.train.id}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }
}
