#!/usr/bin/env bash
# Entrypoint inside the SGX image (spec attestation-azure.md 3.4): start the AESM service that
# the DCAP quoting enclave needs, then run the given command in the Occlum instance, by default
# `occlum run /bin/launcher` (the operator) or `occlum run /bin/sgx_quote info` (run.sh quote).
set -euo pipefail
# The Azure DCAP client logs every collateral fetch otherwise.
export AZDCAP_DEBUG_LOG_LEVEL="${AZDCAP_DEBUG_LOG_LEVEL:-FATAL}"
/opt/occlum/start_aesm.sh
cd /root/uid2-operator
exec "$@"
