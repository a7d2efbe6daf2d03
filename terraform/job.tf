# The training job: `pitwall train` in the image built from the top-level Dockerfile.

resource "google_cloud_run_v2_job" "train" {
  name                = "pitwall-train"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.train.email
      timeout         = "${var.training_timeout_seconds}s"
      max_retries     = var.training_max_retries

      containers {
        image   = local.training_image
        command = ["node", "dist/shared/cli/main.js"]
        args    = ["train"]

        resources {
          limits = {
            cpu    = var.training_cpu
            memory = var.training_memory
          }
        }

        dynamic "env" {
          for_each = merge(local.app_env, local.job_env)
          content {
            name  = env.key
            value = env.value
          }
        }

        env {
          name = "DB_PASSWORD"
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.app_db_password.secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.app_db_password,
    google_secret_manager_secret_iam_member.app_db_password,
    google_project_iam_member.sql_client,
    google_storage_bucket_iam_member.artifacts_train,
  ]
}

# The walk-forward backtest (`pitwall backtest`), one task per block of seasons: each task
# trains its seasons' networks and stores its share under backtests/latest in the artifact
# bucket; `pitwall backtest --merge backtests/latest` prints the report of all of them.
resource "google_cloud_run_v2_job" "backtest" {
  name                = "pitwall-backtest"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = var.backtest_tasks
    parallelism = var.backtest_tasks

    template {
      service_account = google_service_account.train.email
      timeout         = "${var.training_timeout_seconds}s"
      max_retries     = var.training_max_retries

      containers {
        image   = local.training_image
        command = ["node", "dist/shared/cli/main.js"]
        args    = ["backtest", "--from", "2014", "--to", "2024", "--parts", "backtests/latest"]

        resources {
          limits = {
            cpu    = var.training_cpu
            memory = var.training_memory
          }
        }

        dynamic "env" {
          for_each = merge(local.app_env, local.job_env)
          content {
            name  = env.key
            value = env.value
          }
        }

        env {
          name = "DB_PASSWORD"
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.app_db_password.secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.app_db_password,
    google_secret_manager_secret_iam_member.app_db_password,
    google_project_iam_member.sql_client,
    google_storage_bucket_iam_member.artifacts_train,
  ]
}
