# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scenarios (busybox sh): each step's output goes into
# a named section, "=== BEGIN name" ... "=== END name rc=N", which the host
# side (check_results.py, check_stress.py, demo.sh) reads back.

sec() {
	name=$1
	shift
	echo "=== BEGIN $name"
	"$@" 2>&1
	rc=$?
	echo "=== END $name rc=$rc"
}

# Output of a finished background job, with its exit status.
job() {
	echo "=== BEGIN $1"
	cat "$2"
	echo "=== END $1 rc=$3"
}

# The newest VM of a process (pid), by cvmstat-read.
vm_of() {
	cvmstat-read list | awk -F, -v p="$1" '$2 == p { id = $1 } END { print id }'
}
