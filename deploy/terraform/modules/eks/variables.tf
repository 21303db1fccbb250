variable "name" {
  type        = string
  description = "Cluster name; also the prefix of the IAM roles and Fargate profiles."
}

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes version (major.minor), e.g. \"1.33\"."
  default     = "1.33"
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets (at least two AZs) for the control plane ENIs and the Fargate pods; Fargate supports private subnets only."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "endpoint_public_access" {
  type        = bool
  description = "Whether the Kubernetes API endpoint is reachable from the internet (restricted to public_access_cidrs)."
  default     = true
}

variable "public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the public API endpoint (e.g. the CI runners' egress addresses)."
  default     = ["0.0.0.0/0"]
}

variable "app_namespace" {
  type        = string
  description = "Kubernetes namespace whose pods run on the application Fargate profile."
}

variable "secrets_kms_key_arn" {
  type        = string
  description = "KMS key ARN for envelope encryption of Kubernetes Secrets; null uses the EKS-managed default."
  default     = null
}

variable "cluster_log_types" {
  type        = list(string)
  description = "Control plane log types sent to CloudWatch Logs."
  default     = ["api", "audit", "authenticator"]
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
