output "repository_url" {
  description = "ECR repository URL (the chart's image.repository)."
  value       = aws_ecr_repository.this.repository_url
}

output "role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}
