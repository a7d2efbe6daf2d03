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
              secret  = google_secret_manager_secret.db_password.secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.db_password,
    google_secret_manager_secret_iam_member.db_password,
    google_project_iam_member.sql_client,
    google_storage_bucket_iam_member.artifacts_train,
  ]
}
