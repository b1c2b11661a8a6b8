#!/usr/bin/env bash
# Stands in for an older node binary (build.sh's NODE_BIN check): answers like Node.js 20.
echo 20.20.2
