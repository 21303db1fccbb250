output "certificate_arn" {
  description = "ARN of the validated ACM certificate, for the chart's ingress.certificateArn."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "fqdn" {
  description = "Public host name."
  value       = var.domain_name
}

output "load_balancer_dns_name" {
  description = "DNS name of the ALB the alias points to (null before the second apply)."
  value       = var.create_alias_record ? data.aws_lb.ingress[0].dns_name : null
}
