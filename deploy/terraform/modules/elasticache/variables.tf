variable "name" {
  type        = string
  description = "Replication group id; also the prefix of its subnet and security groups."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the cache security group."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets for the cache subnet group."
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed to connect on the Redis port."
}

variable "engine_version" {
  type        = string
  description = "Redis OSS engine version."
  default     = "7.1"
}

variable "node_type" {
  type        = string
  description = "Cache node type."
  default     = "cache.t4g.small"
}

variable "num_cache_clusters" {
  type        = number
  description = "Nodes in the replication group: 1 primary plus replicas; 2 or more enables automatic failover."
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6
    error_message = "num_cache_clusters must be between 1 and 6."
  }
}

variable "auth_token" {
  type        = string
  description = "Redis AUTH token (16 to 128 printable characters); requires TLS, which is always on."
  sensitive   = true
}

variable "snapshot_retention_days" {
  type        = number
  description = "Days of daily snapshots kept (0 turns them off; Gatehouse keeps only limiter state in Redis)."
  default     = 1
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
