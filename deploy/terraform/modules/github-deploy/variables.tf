variable "name" {
  type        = string
  description = "Prefix of the deploy role name."
}

variable "repository_name" {
  type        = string
  description = "ECR repository for the Gatehouse image."
  default     = "gatehouse"
}

variable "github_repository" {
  type        = string
  description = "GitHub repository allowed to deploy, as owner/name."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "github_environment" {
  type        = string
  description = "GitHub Actions environment of the deploy job; only jobs running in it can assume the role."
  default     = "production"
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create the account's token.actions.githubusercontent.com OIDC provider (false if it already exists)."
  default     = true
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster the role deploys to."
}

variable "cluster_arn" {
  type        = string
  description = "ARN of that cluster (for eks:DescribeCluster)."
}

variable "namespace" {
  type        = string
  description = "The one namespace the role may change (AmazonEKSEditPolicy scoped to it)."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
