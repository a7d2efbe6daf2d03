# terraform apply -var-file=environments/dev.tfvars -var project_id=YOUR-DEV-PROJECT
environment = "dev"
region      = "europe-west1"

# Smallest tiers; everything can be destroyed.
db_tier                   = "db-f1-micro"
db_availability_type      = "ZONAL"
db_point_in_time_recovery = false
db_backup_retained_count  = 3
deletion_protection       = false

# The owner runs the migrations; the functions and jobs connect as the application user.
db_migration_user = "pitwall"
db_user           = "pitwall_app"

public_read_api        = true
function_invokers      = []
function_min_instances = {}
default_max_instances  = 2

training_cpu    = "2"
training_memory = "4Gi"
