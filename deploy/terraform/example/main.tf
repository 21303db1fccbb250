locals {
  name      = "${var.name}-${var.environment}"
  alb_group = local.name
  tags = merge(var.tags, {
    Service     = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

data "aws_subnet" "private" {
  for_each = toset(var.private_subnet_ids)
  id       = each.value
}

data "aws_subnet" "public" {
  for_each = toset(var.public_subnet_ids)
  id       = each.value
}

# ---- credentials (kept in state: use an encrypted, access-controlled backend) ----

resource "random_password" "db" {
  length  = 32
  special = false
}

resource "random_password" "mq" {
  length  = 32
  special = false
}

resource "random_password" "redis" {
  length  = 48
  special = false
}

resource "random_password" "key_encryption" {
  length  = 48
  special = false
}

# ---- cluster ----

module "eks" {
  source = "../modules/eks"

  name                = local.name
  kubernetes_version  = var.kubernetes_version
  private_subnet_ids  = var.private_subnet_ids
  public_access_cidrs = var.cluster_endpoint_public_access_cidrs
  app_namespace       = var.namespace
  tags                = local.tags
}

# ---- data stores, reachable from the Fargate pods (cluster security group) only ----

module "rds" {
  source = "../modules/rds"

  identifier                 = local.name
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  instance_class             = var.db_instance_class
  multi_az                   = var.db_multi_az
  deletion_protection        = var.db_deletion_protection
  password                   = random_password.db.result
  tags                       = local.tags
}

module "mq" {
  source = "../modules/mq"

  name                       = local.name
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  instance_type              = var.mq_instance_type
  deployment_mode            = var.mq_deployment_mode
  password                   = random_password.mq.result
  tags                       = local.tags
}

module "redis" {
  source = "../modules/elasticache"

  name                       = local.name
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  node_type                  = var.redis_node_type
  num_cache_clusters         = var.redis_num_cache_clusters
  auth_token                 = random_password.redis.result
  tags                       = local.tags
}

# ---- secrets and the service account's IAM role ----

module "db_secret" {
  source = "../modules/db-secret"

  name     = "${var.name}/${var.environment}/database"
  username = module.rds.username
  password = random_password.db.result
  host     = module.rds.address
  port     = module.rds.port
  dbname   = module.rds.db_name
  tags     = local.tags
}

module "irsa" {
  source = "../modules/irsa"

  role_name         = "${local.name}-irsa"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  namespace         = var.namespace
  service_accounts  = [var.service_account_name, "${var.service_account_name}-migrate"]
  secret_arn        = module.db_secret.arn
  tags              = local.tags
}

# ---- TLS certificate and DNS ----

module "dns" {
  source = "../modules/dns"

  domain_name         = var.domain_name
  zone_id             = var.route53_zone_id
  create_alias_record = var.create_dns_record
  alb_stack_tag       = local.alb_group
  cluster_name        = module.eks.cluster_name
  tags                = local.tags
}

# ---- image registry and the GitHub Actions deploy role ----

module "github_deploy" {
  source = "../modules/github-deploy"

  name                 = local.name
  repository_name      = var.name
  github_repository    = var.github_repository
  github_environment   = var.github_environment
  create_oidc_provider = var.create_github_oidc_provider
  cluster_name         = module.eks.cluster_name
  cluster_arn          = module.eks.cluster_arn
  namespace            = var.namespace
  tags                 = local.tags
}
