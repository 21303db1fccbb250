variable "domain_name" {
  type        = string
  description = "Public host name of the service, e.g. id.example.com."
}

variable "zone_id" {
  type        = string
  description = "Route 53 hosted zone that holds domain_name."
}

variable "subject_alternative_names" {
  type        = list(string)
  description = "Extra names on the certificate."
  default     = []
}

variable "create_alias_record" {
  type        = bool
  description = "Create the A alias to the ALB. The AWS Load Balancer Controller creates the ALB when the Helm chart is installed, so turn this on in a second apply."
  default     = false
}

variable "alb_stack_tag" {
  type        = string
  description = "Value of the ALB's ingress.k8s.aws/stack tag: the chart's ingress.groupName."
  default     = ""
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster whose AWS Load Balancer Controller owns the ALB (its elbv2.k8s.aws/cluster tag)."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
