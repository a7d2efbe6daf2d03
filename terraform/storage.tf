# Model artifacts, the zipped function source, and the training image repository.

resource "google_storage_bucket" "artifacts" {
  name                        = "${var.project_id}-pitwall-artifacts"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  versioning {
    enabled = true
  }

  # Overwritten or deleted artifacts stay recoverable for a while, then go.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.artifact_noncurrent_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "function_source" {
  name                        = "${var.project_id}-pitwall-function-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  # Each deploy uploads a new content-addressed zip; old ones are only history.
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

# The repository as Cloud Functions builds it (npm ci, then npm run gcp-build).
data "archive_file" "function_source" {
  type        = "zip"
  source_dir  = "${path.module}/.."
  output_path = "${path.module}/.build/function-source.zip"
  excludes = [
    ".git/**",
    ".ci/**",
    "node_modules/**",
    "dist/**",
    "data/**",
    "test/**",
    "test-artifacts/**",
    "bench/**",
    "terraform/**",
    ".env",
    "Dockerfile",
    ".dockerignore",
    "cloudbuild.yaml",
  ]
}

resource "google_storage_bucket_object" "function_source" {
  name   = "source/pitwall-${data.archive_file.function_source.output_md5}.zip"
  bucket = google_storage_bucket.function_source.name
  source = data.archive_file.function_source.output_path
}

resource "google_artifact_registry_repository" "images" {
  repository_id = "pitwall"
  location      = var.region
  format        = "DOCKER"
  description   = "pitwall training images"

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }
}
