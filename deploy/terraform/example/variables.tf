variable "region" {
  type        = string
  description = "AWS region of every resource."
}

variable "name" {
  type        = string
  description = "Service name, the prefix of resource names."
  default     = "gatehouse"
}

variable "environment" {
  type        = string
  description = "Environment name (production, staging...), part of resource names and tags."
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource."
  default     = {}
}

# ---- existing network ----

variable "vpc_id" {
  type        = string
  description = "ID of the existing VPC."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets in at least two AZs (three for an Amazon MQ cluster), with a NAT route or VPC endpoints for ECR, STS, Secrets Manager and CloudWatch Logs."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets of the ALB (tagged kubernetes.io/role/elb = 1 for the AWS Load Balancer Controller)."
}

# ---- Kubernetes ----

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes version."
  default     = "1.33"
}

variable "cluster_endpoint_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the public Kubernetes API endpoint."
  default     = ["0.0.0.0/0"]
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the release (the app Fargate profile selects it)."
  default     = "gatehouse"
}

variable "service_account_name" {
  type        = string
  description = "Service account of the release; the migration hook uses \"<name>-migrate\"."
  default     = "gatehouse"
}

variable "existing_k8s_secret" {
  type        = string
  description = "Kubernetes Secret with REDIS_URL, AMQP_URL, SMTP_URL, KEY_ENCRYPTION_KEY (see the app_secret_env output)."
  default     = "gatehouse-env"
}

# ---- data stores ----

variable "db_instance_class" {
  type        = string
  description = "RDS PostgreSQL instance class."
  default     = "db.t4g.medium"
}

variable "db_multi_az" {
  type        = bool
  description = "Multi-AZ standby for RDS."
  default     = true
}

variable "db_deletion_protection" {
  type        = bool
  description = "Deletion protection for RDS."
  default     = true
}

variable "mq_instance_type" {
  type        = string
  description = "Amazon MQ broker instance type."
  default     = "mq.m5.large"
}

variable "mq_deployment_mode" {
  type        = string
  description = "Amazon MQ deployment mode: SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  default     = "CLUSTER_MULTI_AZ"
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type."
  default     = "cache.t4g.small"
}

variable "redis_num_cache_clusters" {
  type        = number
  description = "ElastiCache nodes (primary + replicas)."
  default     = 2
}

# ---- DNS and TLS ----

variable "domain_name" {
  type        = string
  description = "Public host name of Gatehouse, e.g. id.example.com."
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of domain_name."
}

variable "create_dns_record" {
  type        = bool
  description = "Point domain_name at the ALB. Set to true after the first Helm install created the ALB."
  default     = false
}

# ---- CI/CD ----

variable "github_repository" {
  type        = string
  description = "GitHub repository (owner/name) whose deploy workflow may push images and deploy."
}

variable "github_environment" {
  type        = string
  description = "GitHub Actions environment of the deploy job."
  default     = "production"
}

variable "create_github_oidc_provider" {
  type        = bool
  description = "Create the GitHub Actions OIDC provider (false when the account already has one)."
  default     = true
}
