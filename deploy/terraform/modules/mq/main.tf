resource "aws_security_group" "this" {
  name        = "${var.name}-rabbitmq"
  description = "Amazon MQ RabbitMQ for ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-rabbitmq" })
}

locals {
  # AMQPS for clients, HTTPS for the management console and API.
  ingress = {
    for pair in setproduct(var.allowed_security_group_ids, [5671, 443]) :
    "${pair[0]}-${pair[1]}" => { security_group_id = pair[0], port = pair[1] }
  }
}

resource "aws_vpc_security_group_ingress_rule" "broker" {
  for_each = local.ingress

  security_group_id            = aws_security_group.this.id
  referenced_security_group_id = each.value.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "Port ${each.value.port} from ${each.value.security_group_id}"
}

resource "aws_mq_broker" "this" {
  broker_name                = var.name
  engine_type                = "RabbitMQ"
  engine_version             = var.engine_version
  host_instance_type         = var.instance_type
  deployment_mode            = var.deployment_mode
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  subnet_ids                 = var.deployment_mode == "SINGLE_INSTANCE" ? [var.subnet_ids[0]] : var.subnet_ids
  security_groups            = [aws_security_group.this.id]

  user {
    username = var.username
    password = var.password
  }

  logs {
    general = true
  }

  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "04:00"
    time_zone   = "UTC"
  }

  tags = var.tags
}
