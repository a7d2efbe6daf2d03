# Cloud SQL for PostgreSQL 15. Public IP without authorised networks: the instance is reached
# only through the Cloud SQL connectors (IAM-authorised mTLS), never directly.

resource "google_sql_database_instance" "main" {
  name                = var.sql_instance_name
  database_version    = "POSTGRES_15"
  region              = var.region
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.db_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.db_availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.db_disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = local.labels

    backup_configuration {
      enabled                        = true
      start_time                     = "02:00"
      point_in_time_recovery_enabled = var.db_point_in_time_recovery
      transaction_log_retention_days = var.db_point_in_time_recovery ? 7 : null

      backup_retention_settings {
        retained_backups = var.db_backup_retained_count
        retention_unit   = "COUNT"
      }
    }

    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    maintenance_window {
      day          = 2
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled = true
    }
  }
}

resource "google_sql_database" "app" {
  name     = var.db_name
  instance = google_sql_database_instance.main.name
}

# Two users. The owner runs the migrations (cloudbuild.yaml's migrate step, README) and owns
# every table and trigger; the application user is what the functions and jobs connect as.
# `pitwall migrate` (DB_APP_ROLE) grants the application user only DML and takes away what
# Cloud SQL gives every user it creates (cloudsqlsuperuser, CREATEROLE, CREATEDB), so it can
# neither alter a table nor disable the triggers that keep frozen snapshots frozen.

resource "random_password" "db" {
  length  = 32
  special = false
}

# Before the application had a user of its own, this one (then google_sql_user.app) was the
# only one, and it owns the schema already.
moved {
  from = google_sql_user.app
  to   = google_sql_user.owner
}

resource "google_sql_user" "owner" {
  name     = var.db_migration_user
  instance = google_sql_database_instance.main.name
  password = random_password.db.result
  # The user owns the schema; PostgreSQL refuses to drop it while it does.
  deletion_policy = "ABANDON"
}

resource "random_password" "app_db" {
  length  = 32
  special = false
}

resource "google_sql_user" "application" {
  name     = var.db_user
  instance = google_sql_database_instance.main.name
  password = random_password.app_db.result
  # It holds grants on the schema; PostgreSQL refuses to drop it while it does.
  deletion_policy = "ABANDON"

  lifecycle {
    precondition {
      condition     = var.db_user != var.db_migration_user
      error_message = "db_user (the application) and db_migration_user (the owner) must differ: an owner can disable the triggers that keep frozen snapshots frozen."
    }
  }
}

# Each user's password in a Secret Manager secret of its own: the owner's is read only by the
# migration (Cloud Build, or an operator); the application user's is what every function and
# job gets as DB_PASSWORD.
locals {
  db_passwords = {
    owner       = { secret_id = "pitwall-db-password", password = random_password.db.result }
    application = { secret_id = "pitwall-db-app-password", password = random_password.app_db.result }
  }
}

resource "google_secret_manager_secret" "db_password" {
  for_each = local.db_passwords

  secret_id = each.value.secret_id

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "db_password" {
  for_each = local.db_passwords

  secret      = google_secret_manager_secret.db_password[each.key].id
  secret_data = each.value.password
}

# Each password had resources of its own before they shared these.
moved {
  from = google_secret_manager_secret.db_password
  to   = google_secret_manager_secret.db_password["owner"]
}

moved {
  from = google_secret_manager_secret_version.db_password
  to   = google_secret_manager_secret_version.db_password["owner"]
}

moved {
  from = google_secret_manager_secret.app_db_password
  to   = google_secret_manager_secret.db_password["application"]
}

moved {
  from = google_secret_manager_secret_version.app_db_password
  to   = google_secret_manager_secret_version.db_password["application"]
}
