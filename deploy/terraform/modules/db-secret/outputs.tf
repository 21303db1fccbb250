output "arn" {
  description = "Secret ARN."
  value       = aws_secretsmanager_secret.this.arn
}

output "name" {
  description = "Secret name (USER_SERVICE_SECRET_NAME)."
  value       = aws_secretsmanager_secret.this.name
}
