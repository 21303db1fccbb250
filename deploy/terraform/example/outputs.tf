output "cluster_name" {
  description = "EKS cluster name (repository variable EKS_CLUSTER_NAME)."
  value       = module.eks.cluster_name
}

output "ecr_repository_url" {
  description = "ECR repository of the image (repository variable ECR_REPOSITORY is its last path segment)."
  value       = module.github_deploy.repository_url
}

output "github_deploy_role_arn" {
  description = "Role assumed by the deploy workflow (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.github_deploy.role_arn
}

output "database_secret_name" {
  description = "Secrets Manager secret with {username,password,host,port,dbname} (USER_SERVICE_SECRET_NAME)."
  value       = module.db_secret.name
}

output "irsa_role_arn" {
  description = "IAM role of the service account."
  value       = module.irsa.role_arn
}

output "certificate_arn" {
  description = "ACM certificate of the public host name."
  value       = module.dns.certificate_arn
}

# The AWS side of the chart's values; store it as the HELM_VALUES variable of the GitHub
# environment, or save it with `terraform output -raw helm_values > values-production.yaml`.
output "helm_values" {
  description = "Helm values for deploy/helm/gatehouse, wired to the resources above."
  value = yamlencode({
    existingSecret = var.existing_k8s_secret
    image = {
      repository = module.github_deploy.repository_url
    }
    aws = {
      region     = var.region
      secretName = module.db_secret.name
    }
    serviceAccount = {
      create  = true
      name    = var.service_account_name
      roleArn = module.irsa.role_arn
    }
    config = {
      PUBLIC_URL = "https://${var.domain_name}"
      JWT_ISSUER = "https://${var.domain_name}"
    }
    ingress = {
      enabled        = true
      host           = var.domain_name
      certificateArn = module.dns.certificate_arn
      groupName      = local.alb_group
    }
    networkPolicy = {
      enabled = true
      ingress = {
        cidrs             = [for subnet in data.aws_subnet.public : subnet.cidr_block]
        fromSameNamespace = true
      }
      egress = {
        database = { cidrs = [for subnet in data.aws_subnet.private : subnet.cidr_block], ports = [module.rds.port] }
        redis    = { cidrs = [for subnet in data.aws_subnet.private : subnet.cidr_block], ports = [module.redis.port] }
        broker   = { cidrs = [for subnet in data.aws_subnet.private : subnet.cidr_block], ports = [5671] }
        smtp     = { cidrs = ["0.0.0.0/0"], ports = [587] }
        awsApis  = { cidrs = ["0.0.0.0/0"], ports = [443] }
      }
    }
  })
}

# Connection strings with passwords, for the Kubernetes Secret named by existing_k8s_secret:
#   terraform output -json app_secret_env | jq -r 'to_entries[] | "\(.key)=\(.value)"' > gatehouse.env
#   kubectl -n gatehouse create secret generic gatehouse-env --from-env-file=gatehouse.env
output "app_secret_env" {
  description = "REDIS_URL, AMQP_URL and KEY_ENCRYPTION_KEY for the Kubernetes Secret (sensitive). Add SMTP_URL yourself."
  sensitive   = true
  value = {
    REDIS_URL          = "rediss://:${random_password.redis.result}@${module.redis.primary_endpoint}:${module.redis.port}"
    AMQP_URL           = "amqps://${module.mq.username}:${random_password.mq.result}@${module.mq.host}:5671"
    KEY_ENCRYPTION_KEY = random_password.key_encryption.result
  }
}
