# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scenarios (busybox sh): each step's output goes into
# a named section, "=== BEGIN name" ... "=== END name rc=N", which the host
# side (check_results.py, demo.sh) reads back.

sec() {
	name=$1
	shift
	echo "=== BEGIN $name"
	"$@" 2>&1
	rc=$?
	echo "=== END $name rc=$rc"
}
