output "amqps_endpoint" {
  description = "AMQPS endpoint (amqps://host:5671), without credentials."
  value       = aws_mq_broker.this.instances[0].endpoints[0]
}

output "host" {
  description = "Broker host name."
  value       = regex("^amqps://([^:/]+)", aws_mq_broker.this.instances[0].endpoints[0])[0]
}

output "console_url" {
  description = "RabbitMQ management console URL."
  value       = aws_mq_broker.this.instances[0].console_url
}

output "security_group_id" {
  description = "Security group of the broker."
  value       = aws_security_group.this.id
}

output "username" {
  description = "Broker user name."
  value       = var.username
}
