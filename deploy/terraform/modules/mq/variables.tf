variable "name" {
  type        = string
  description = "Broker name."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the broker security group."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets; a single-instance broker uses the first one, a cluster needs three AZs."
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed to connect over AMQPS (5671) and to the management console (443)."
}

variable "engine_version" {
  type        = string
  description = "RabbitMQ engine version on Amazon MQ."
  default     = "3.13"
}

variable "instance_type" {
  type        = string
  description = "Broker instance type (mq.t3.micro is single-instance only)."
  default     = "mq.m5.large"
}

variable "deployment_mode" {
  type        = string
  description = "SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  default     = "CLUSTER_MULTI_AZ"

  validation {
    condition     = contains(["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"], var.deployment_mode)
    error_message = "deployment_mode must be SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  }
}

variable "username" {
  type        = string
  description = "Broker user for Gatehouse."
  default     = "gatehouse"
}

variable "password" {
  type        = string
  description = "Broker password: 12 to 250 characters, no commas, colons or equal signs."
  sensitive   = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
