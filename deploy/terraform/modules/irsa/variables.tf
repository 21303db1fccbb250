variable "role_name" {
  type        = string
  description = "Name of the IAM role for the service account."
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the EKS cluster's IAM OIDC provider."
}

variable "oidc_issuer" {
  type        = string
  description = "OIDC issuer without https:// (the prefix of the :sub and :aud condition keys)."
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the service accounts."
}

variable "service_accounts" {
  type        = list(string)
  description = "Service accounts that may assume the role: the app's and the migration hook's."
}

variable "secret_arn" {
  type        = string
  description = "The one Secrets Manager secret the role may read."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the secret, if any; null when it uses aws/secretsmanager."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
