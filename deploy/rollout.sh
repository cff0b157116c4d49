#!/usr/bin/env bash
# Roll one image out to a Kubernetes namespace the way docs/operations.md describes, as the
# pipelines' deploy jobs do: migrations first (a Job with the new image), then the API and the app,
# wait for the rollout, check health, and undo the rollout if any step after migrations fails.
#   deploy/rollout.sh NAMESPACE IMAGE [HEALTH_URL]
# Needs kubectl configured for the cluster. Migrations must stay backward compatible with the
# previous release (expand/contract): `kubectl rollout undo` does not undo a migration.
set -euo pipefail
cd "$(dirname "$0")/.."
NAMESPACE=${1:?namespace}
IMAGE=${2:?image, e.g. registry.example.com/sales-system:0.1.1}
HEALTH_URL=${3:-}
K="kubectl -n $NAMESPACE"

echo "== migrations with $IMAGE"
$K delete job sales-migrate --ignore-not-found
sed "s#image: registry.example.com/sales-system:.*#image: $IMAGE#" deploy/k8s/migrate-job.yaml | $K apply -f -
$K wait --for=condition=complete job/sales-migrate --timeout=10m

rollback() {
  echo "== rollout failed: rolling back (kubectl rollout undo)" >&2
  $K rollout undo deployment/sales-api || true
  $K rollout undo deployment/sales-app || true
  $K rollout status deployment/sales-api --timeout=5m || true
  $K rollout status deployment/sales-app --timeout=5m || true
  exit 1
}
trap rollback ERR

echo "== rollout"
$K set image deployment/sales-api api="$IMAGE"
$K set image deployment/sales-app app="$IMAGE"
$K rollout status deployment/sales-api --timeout=10m
$K rollout status deployment/sales-app --timeout=10m

if [ -n "$HEALTH_URL" ]; then
  echo "== health check $HEALTH_URL"
  for _ in $(seq 1 12); do
    if curl -fsS --max-time 5 "$HEALTH_URL"; then echo; trap - ERR; echo "== deployed $IMAGE"; exit 0; fi
    sleep 5
  done
  false
fi
trap - ERR
echo "== deployed $IMAGE"
