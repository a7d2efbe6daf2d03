# terraform apply -var-file=environments/prod.tfvars -var project_id=YOUR-PROD-PROJECT
environment = "prod"
region      = "europe-west1"

db_tier                   = "db-g1-small"
db_availability_type      = "ZONAL"
db_point_in_time_recovery = true
db_backup_retained_count  = 14
deletion_protection       = true

# The owner runs the migrations; the functions and jobs connect as the application user.
db_migration_user = "pitwall"
db_user           = "pitwall_app"

public_read_api   = true
function_invokers = [] # e.g. ["group:pitwall-operators@example.com"]
# A warm read API: no cold start on the dashboard.
function_min_instances = { api = 1 }
function_max_instances = { api = 5, pits = 3 }
default_max_instances  = 2

training_cpu             = "2"
training_memory          = "4Gi"
training_timeout_seconds = 3600
training_max_retries     = 1
