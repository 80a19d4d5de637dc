#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every bench/*.sh (except this one) with the mscan binary given as $1 (make bench).
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
MSCAN=${1:-$DIR/../build/mscan}
rc=0
for b in "$DIR"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	bash "$b" "$MSCAN" || rc=1
done
exit $rc
