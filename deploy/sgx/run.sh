#!/usr/bin/env bash
# Runs the UID2 operator SGX image on an SGX host (spec attestation-azure.md 3.4).
#
#   ./run.sh [--dry-run] [COMMAND...]
#
#   (no command)   start the operator: occlum run /bin/launcher
#   quote          print MRENCLAVE, MRSIGNER, PRODID, SVN (and DEBUG) of the enclave
#   anything else  run in the Occlum instance, e.g. ./run.sh occlum run /bin/sgx_quote info
#
# The operator key is passed through from the environment when set (core_api_token,
# optout_api_token), by name only, so it never appears in the docker command line.
set -euo pipefail

IMAGE_NAME="${IMAGE_NAME:-uid2-operator-azure-occlum:dev}"
HTTP_PORT="${HTTP_PORT:-8080}"
METRICS_PORT="${METRICS_PORT:-9080}"
PASSTHROUGH_VARS=(core_api_token optout_api_token)
DRY_RUN=0

usage() {
  cat <<USAGE
usage: $(basename "$0") [--dry-run] [quote | COMMAND...]

  (none)     start the operator (occlum run /bin/launcher)
  quote      print MRENCLAVE, MRSIGNER, PRODID, SVN of the enclave
  COMMAND    run in the Occlum instance, e.g. occlum run /bin/sgx_quote info
  --dry-run  print the docker command instead of running it (no SGX needed)
environment: IMAGE_NAME (${IMAGE_NAME}), HTTP_PORT (${HTTP_PORT}), METRICS_PORT (${METRICS_PORT}),
             passed through when set: ${PASSTHROUGH_VARS[*]}
USAGE
}

die() {
  echo "run.sh: $*" >&2
  exit 1
}

main() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --dry-run) DRY_RUN=1; shift ;;
      --) shift; break ;;
      -*) usage >&2; exit 2 ;;
      *) break ;;
    esac
  done

  local cmd=()
  if [[ $# -eq 0 ]]; then
    cmd=(occlum run /bin/launcher)
  elif [[ "$1" == quote && $# -eq 1 ]]; then
    cmd=(occlum run /bin/sgx_quote info)
  else
    cmd=("$@")
  fi

  local args=(run --rm --device /dev/sgx/enclave --device /dev/sgx/provision)
  [[ -t 0 && -t 1 ]] && args+=(-it)
  # The operator serves on 8080 and Prometheus metrics on 9080 (upstream's script used 9091;
  # the AKS manifests and this project use 9080).
  if [[ "${cmd[*]}" == "occlum run /bin/launcher" ]]; then
    args+=(-p "${HTTP_PORT}:8080" -p "${METRICS_PORT}:9080")
  fi
  local var
  for var in "${PASSTHROUGH_VARS[@]}"; do
    [[ -n "${!var:-}" ]] && args+=(-e "$var")
  done
  args+=("$IMAGE_NAME" "${cmd[@]}")

  if [[ "$DRY_RUN" == 1 ]]; then
    printf 'docker'
    printf ' %q' "${args[@]}"
    printf '\n'
    return 0
  fi
  [[ -e /dev/sgx/enclave && -e /dev/sgx/provision ]] \
    || die "SGX devices /dev/sgx/enclave and /dev/sgx/provision not found: run on an SGX host with the DCAP driver (or use --dry-run)"
  command -v docker >/dev/null 2>&1 || die "docker not found"
  exec docker "${args[@]}"
}

main "$@"
