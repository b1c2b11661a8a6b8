#!/usr/bin/env bash
# Builds the UID2 operator as an Occlum SGX enclave and its docker image (legacy azure-sgx path,
# spec attestation-azure.md 3.4; docs/deployment-guide.md "SGX node pool").
#
#   ./build.sh [--dry-run] [--push REPOSITORY:TAG] CONFIG
#
# CONFIG names conf/CONFIG-config.json (without the suffix), which is baked into the enclave as
# /app/conf/config.json, so it is part of MRENCLAVE. Needs an SGX machine (Standard_DC8_v2),
# the Occlum toolchain, docker, node 24 and sudo-less docker access. --dry-run prints every step
# without running it and needs none of that.
#
# Artifacts (as the upstream package names them):
#   build/uid2-operator/uid2-operator.tar.gz   the Occlum enclave package
#   build/uid2-operator-azure-sgx.tar.gz       `docker save` of the image ($IMAGE_NAME)
#   and the output of `run.sh quote`: MRENCLAVE, MRSIGNER, PRODID, SVN of the new enclave.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-${SCRIPT_DIR}/build}"
IMAGE_NAME="${IMAGE_NAME:-uid2-operator-azure-occlum:dev}"
NODE_BIN="${NODE_BIN:-$(command -v node || echo /usr/bin/node)}"
DRY_RUN=0
PUSH_TO=""

usage() {
  cat <<USAGE
usage: $(basename "$0") [--dry-run] [--push REPOSITORY:TAG] CONFIG

CONFIG is one of: $(available_configs)
  --dry-run   print the build steps instead of running them (no SGX needed)
  --push      tag and push the image after building
environment: IMAGE_NAME (${IMAGE_NAME}), BUILD_DIR, NODE_BIN
USAGE
}

available_configs() {
  local f names=()
  for f in "${SCRIPT_DIR}"/conf/*-config.json; do
    [[ -e "$f" ]] || continue
    f="$(basename "$f")"
    names+=("${f%-config.json}")
  done
  echo "${names[*]}"
}

die() {
  echo "build.sh: $*" >&2
  exit 1
}

# Runs a command, or prints it in dry-run mode.
run() {
  if [[ "$DRY_RUN" == 1 ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

check_prerequisites() {
  [[ -e /dev/sgx/enclave || -e /dev/sgx_enclave ]] \
    || die "no SGX device (/dev/sgx/enclave): build on an SGX machine such as Azure Standard_DC8_v2 with the DCAP driver, or use --dry-run"
  local tool
  for tool in occlum occlum-gcc docker openssl "$NODE_BIN"; do
    command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (install the Occlum toolchain, docker, openssl and node 24)"
  done
  check_node_version
}

# The enclave runs the node binary it is built with: it must be Node.js 24 (the supported runtime).
check_node_version() {
  local version
  version="$("$NODE_BIN" -p 'process.versions.node' 2>/dev/null)" || die "cannot run $NODE_BIN"
  [[ "${version%%.*}" == 24 ]] || die "NODE_BIN is Node.js $version; the enclave needs Node.js 24 (set NODE_BIN)"
}

# Copies the shared libraries an executable needs into the enclave image's /lib.
copy_libraries() {
  local exe="$1" lib
  if [[ "$DRY_RUN" == 1 ]]; then
    run cp "<shared libraries of ${exe} per ldd>" image/lib/
    return
  fi
  while read -r lib; do
    cp -L "$lib" image/lib/
  done < <(ldd "$exe" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }')
}

layout_image() {
  local config_file="$1" staging="${BUILD_DIR}/app-staging" compile="${BUILD_DIR}/app-build"
  # The TypeScript sources compiled to dist/ in a staging copy of their own, with the dev
  # dependencies (typescript); only dist/ leaves it.
  run rm -rf "$compile"
  run mkdir -p "$compile"
  run cp -R "${REPO_ROOT}/src" "${REPO_ROOT}/package.json" "${REPO_ROOT}/package-lock.json" "${REPO_ROOT}/tsconfig.json" "${REPO_ROOT}/tsconfig.build.json" "$compile/"
  run npm ci --ignore-scripts --no-audit --no-fund --prefix "$compile"
  run npm run build --prefix "$compile"
  # The operator: compiled JavaScript and production dependencies only (no sources, no tests, no
  # compiler or transpiler), run by plain node.
  run rm -rf "$staging"
  run mkdir -p "$staging"
  run cp -R "${REPO_ROOT}/bin" "${compile}/dist" "${REPO_ROOT}/package.json" "${REPO_ROOT}/package-lock.json" "$staging/"
  run npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefix "$staging"

  run mkdir -p image/app/conf image/bin image/lib image/etc image/root
  run cp -R "$staging/." image/app/
  run cp "$config_file" image/app/conf/config.json
  run cp "$NODE_BIN" image/bin/node
  copy_libraries "$NODE_BIN"
  run cp /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libresolv.so.2 image/lib/
  run cp -RL /etc/ssl image/etc/ssl
  # DNS comes from the host at run time through the hostfs mount of Occlum.json.
  run ln -sf /hostetc/resolv.conf image/etc/resolv.conf
  run ln -sf /hostetc/nsswitch.conf image/etc/nsswitch.conf

  run occlum-gcc -O2 -o image/bin/launcher "${SCRIPT_DIR}/src/launcher.c"
  run occlum-gcc -O2 -o image/bin/sgx_quote "${SCRIPT_DIR}/src/sgx_quote.c"
}

main() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --dry-run) DRY_RUN=1; shift ;;
      --push) [[ $# -ge 2 ]] || die "--push needs REPOSITORY:TAG"; PUSH_TO="$2"; shift 2 ;;
      -*) usage >&2; exit 2 ;;
      *) break ;;
    esac
  done
  [[ $# -eq 1 ]] || { usage >&2; exit 2; }
  local config="$1"
  [[ "$config" =~ ^[a-z0-9-]+$ ]] || die "invalid CONFIG name: $config"
  local config_file="${SCRIPT_DIR}/conf/${config}-config.json"
  [[ -f "$config_file" ]] || die "no conf/${config}-config.json; available: $(available_configs)"
  if [[ "$DRY_RUN" == 1 ]]; then check_node_version; else check_prerequisites; fi

  echo "build.sh: building the ${config} enclave into ${BUILD_DIR}" >&2
  run mkdir -p "$BUILD_DIR"
  run rm -rf "${BUILD_DIR}/uid2-operator"
  run occlum new "${BUILD_DIR}/uid2-operator"
  run cd "${BUILD_DIR}/uid2-operator"
  layout_image "$config_file"
  run cp "${SCRIPT_DIR}/Occlum.json" Occlum.json

  # An ephemeral signing key per build, as upstream: MRSIGNER changes every build and only
  # MRENCLAVE identifies the code (spec 2.4). RSA-3072 with e=3 is what SGX requires.
  run openssl genrsa -3 -out enclave-key.pem 3072
  run occlum build --sign-key enclave-key.pem
  run rm -f enclave-key.pem
  run occlum package uid2-operator.tar.gz

  # A small docker context: the enclave package and the runtime files, not the Occlum instance.
  local context="${BUILD_DIR}/docker"
  run rm -rf "$context"
  run mkdir -p "$context"
  run cp uid2-operator.tar.gz "${SCRIPT_DIR}/Dockerfile" "${SCRIPT_DIR}/entrypoint.sh" "${SCRIPT_DIR}/aesmd.conf" "$context/"
  run docker build -t "$IMAGE_NAME" "$context"
  if [[ "$DRY_RUN" == 1 ]]; then
    run docker save "$IMAGE_NAME" '|' gzip '>' "${BUILD_DIR}/uid2-operator-azure-sgx.tar.gz"
  else
    docker save "$IMAGE_NAME" | gzip > "${BUILD_DIR}/uid2-operator-azure-sgx.tar.gz"
  fi

  # Print the identity Core must register (MRENCLAVE) and the metadata it checks.
  run env IMAGE_NAME="$IMAGE_NAME" "${SCRIPT_DIR}/run.sh" quote

  if [[ -n "$PUSH_TO" ]]; then
    run docker tag "$IMAGE_NAME" "$PUSH_TO"
    run docker push "$PUSH_TO"
  fi
}

main "$@"
