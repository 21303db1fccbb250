variable "name" {
  type        = string
  description = "Secret name, e.g. gatehouse/production/database: USER_SERVICE_SECRET_NAME of the service."
}

variable "username" {
  type        = string
  description = "Database user."
}

variable "password" {
  type        = string
  description = "Database password."
  sensitive   = true
}

variable "host" {
  type        = string
  description = "Database host name."
}

variable "port" {
  type        = number
  description = "Database port."
  default     = 5432
}

variable "dbname" {
  type        = string
  description = "Database name."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key for the secret; null uses aws/secretsmanager."
  default     = null
}

variable "recovery_window_in_days" {
  type        = number
  description = "Days a deleted secret can be restored (0 deletes at once)."
  default     = 7
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
