resource "aws_secretsmanager_secret" "this" {
  name                    = var.name
  description             = "Gatehouse database credentials {username,password,host,port,dbname}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

# The exact shape Gatehouse reads (DESIGN.md §6).
resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    username = var.username
    password = var.password
    host     = var.host
    port     = var.port
    dbname   = var.dbname
  })
}
