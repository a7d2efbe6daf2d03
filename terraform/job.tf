# The Cloud Run jobs, in the image built from the top-level Dockerfile: one container, identity,
# sizing and database access, each job running its own `pitwall` command.
locals {
  cloud_run_jobs = {
    # `pitwall train`: trains, evaluates and registers the models (task 0; the others return).
    train = {
      name  = "pitwall-train"
      tasks = 1
      args  = ["train"]
    }
    # The walk-forward backtest, one task per block of seasons: each task trains its seasons'
    # networks and stores its share under backtests/latest in the artifact bucket;
    # `pitwall backtest --merge backtests/latest` prints the report of all of them.
    backtest = {
      name  = "pitwall-backtest"
      tasks = var.backtest_tasks
      args  = ["backtest", "--from", "2014", "--to", "2024", "--parts", "backtests/latest"]
    }
  }
}

# Each job was a resource of its own before they shared this one.
moved {
  from = google_cloud_run_v2_job.train
  to   = google_cloud_run_v2_job.job["train"]
}

moved {
  from = google_cloud_run_v2_job.backtest
  to   = google_cloud_run_v2_job.job["backtest"]
}

resource "google_cloud_run_v2_job" "job" {
  for_each = local.cloud_run_jobs

  name                = each.value.name
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = each.value.tasks
    parallelism = each.value.tasks

    template {
      service_account = google_service_account.train.email
      timeout         = "${var.training_timeout_seconds}s"
      max_retries     = var.training_max_retries

      containers {
        image   = local.training_image
        command = ["node", "dist/shared/cli/main.js"]
        args    = each.value.args

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
              secret  = google_secret_manager_secret.db_password["application"].secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.db_password["application"],
    google_secret_manager_secret_iam_member.app_db_password,
    google_project_iam_member.sql_client,
    google_storage_bucket_iam_member.artifacts_train,
  ]
}
