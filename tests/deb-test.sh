#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: deb-test.sh KERNELS_TXT OUTDIR
#
# The Debian packages, end to end: `make deb`, lintian (no error, no
# warning), `apt-get install ./cvmstat*.deb` (DKMS builds cvmstat.ko for
# every kernel of KERNELS_TXT, tests/setup.sh's "KVER<TAB>IMAGE_ROOT"
# lines), then for each kernel a QEMU guest with the module and the tool
# exactly as the packages installed them (qemu/pkg-scenario.sh: `cvmstat
# load`, one workload counted exactly), and `apt-get purge` leaving nothing
# behind.  DKMS state (/usr/src, /var/lib/dkms) is global: this takes the
# same lock as dkms-test.sh.  Ends with "deb: N passed, N failed".
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNELS_TXT OUTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/tests/qemu
kernels=$1
out=$(realpath -m "$2")
version=$(cat "$top/VERSION")
debs=$top/build/deb
p=0
f=0
rm -rf "$out" && mkdir -p "$out"
log=$out/deb.log
check() {
	if "$@" >>"$log" 2>&1; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "FAIL: $*"
		tail -5 "$log"
	fi
}
apt() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 "$@"
}
purge() {
	apt purge cvmstat cvmstat-dkms >>"$log" 2>&1
}

exec 9>/run/lock/cvmstat-dkms.lock
flock 9
trap purge EXIT
purge
make -s -C "$top" dkms-remove >>"$log" 2>&1

# 1. build and lint
check make -C "$top" deb
check test -f "$debs/cvmstat_${version}_amd64.deb"
check test -f "$debs/cvmstat-dkms_${version}_all.deb"
lintian --fail-on error,warning -I "$debs/cvmstat_${version}_amd64.changes" >"$out/lintian.txt" 2>&1
check test $? -eq 0
grep -E '^[EW]: ' "$out/lintian.txt"

# 2. install; DKMS builds for every kernel with headers (when the running
#    kernel is not installed, as on a build or CI machine: Debian's dkms
#    otherwise builds for the running and the newest kernel, and a kernel
#    package's own postinst hook does the rest: `dkms autoinstall -k`)
check apt install "$debs/cvmstat_${version}_amd64.deb" "$debs/cvmstat-dkms_${version}_all.deb"
check test -x /usr/sbin/cvmstat
check test -f /usr/share/man/man8/cvmstat.8.gz
check test -f /usr/share/bash-completion/completions/cvmstat
check test -f /lib/systemd/system/cvmstat-export.timer
check test -f /lib/systemd/system/cvmstat-export.service
check test ! -e /etc/systemd/system/timers.target.wants/cvmstat-export.timer
# the units as installed (no systemd runs here): systemd-analyze verify
# checks their syntax, ExecStart's binary and Documentation='s man page;
# the timer's period must be 15 s.  The service's command line itself runs,
# as shipped, in the first kernel's Prometheus test below (prom-test.sh).
units=(/lib/systemd/system/cvmstat-export.service /lib/systemd/system/cvmstat-export.timer)
if command -v systemd-analyze >/dev/null; then
	man=()
	command -v man >/dev/null ||
		{ man=(--man=no); echo "NOTE: man-db is not installed: Documentation= is not checked"; }
	systemd-analyze verify "${man[@]}" "${units[@]}" >"$out/systemd-verify.txt" 2>&1
	check test $? -eq 0
	cat "$out/systemd-verify.txt"
	period=$(sed -n 's/^OnUnitActiveSec=//p' "${units[1]}")
	check test "$(systemd-analyze timespan "$period" | awk 'NR == 2 { print $2 }')" = 15000000
	check grep -qx 'OnActiveSec=0' "${units[1]}"
else
	echo "NOTE: systemd-analyze is not installed (tests/setup.sh installs systemd): the units are not verified"
fi
check test -f "/usr/src/cvmstat-$version/dkms.conf"
# plot as installed: the drawing from /usr/share/cvmstat
printf '%s\n' time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count \
	1000000000,-,1,warm,0,0,0,mark,1,-,host,1 \
	1500000000,-,1,warm,1,9,0,reason,114,-,CPUID,500 \
	2000000000,-,2,steady,0,0,0,mark,2,-,host,1 \
	2500000000,-,2,steady,1,9,0,reason,114,-,CPUID,900 >"$out/plot.csv"
check /usr/sbin/cvmstat plot "$out/plot.csv" -o "$out/plot.svg"
check grep -q steady "$out/plot.svg"
service=${units[0]}	# rate() once: it does not depend on the kernel
while IFS=$'\t' read -r kver root; do
	if ! ls "/lib/modules/$kver/updates/dkms/"cvmstat.ko* >/dev/null 2>&1 &&
		[ -d "/lib/modules/$(uname -r)" ]; then
		echo "the running kernel is installed: dkms autoinstall -k $kver" >>"$log"
		dkms autoinstall -k "$kver" >>"$log" 2>&1
	fi
	mod=$(ls "/lib/modules/$kver/updates/dkms/"cvmstat.ko* 2>/dev/null | head -n1)
	check test -n "$mod"
	check sh -c "modinfo '$mod' | grep -q '^vermagic: *$kver '"

	# 3. the guest: the packaged module (decompressed, the way the
	#    initramfs holds every module) and the packaged tool
	g=$out/$kver
	mkdir -p "$g/files"
	case "$mod" in
	*.ko.xz) xz -dc "$mod" >"$g/files/cvmstat.ko" ;;
	*.ko.zst) zstd -q -dc "$mod" >"$g/files/cvmstat.ko" ;;
	*) cp "$mod" "$g/files/cvmstat.ko" ;;
	esac
	cp /usr/sbin/cvmstat "$g/files/cvmstat"
	cflags="-O2 -Wall -Wextra -Werror -static -I$top/kmod/include/uapi"
	check gcc $cflags -pthread -o "$g/files/cvmload" "$top/tests/workload/cvmload.c"
	check gcc $cflags -I"$top/userspace" -o "$g/files/cvmstat-read" \
		"$top/userspace/cvmstat-read.c" "$top/userspace/names.c"
	install -m 755 "$here/pkg-scenario.sh" "$g/files/scenario.sh"
	install -m 644 "$here/sections.sh" "$g/files/sections.sh"
	check "$here/build-initramfs.sh" "$kver" "$root" "$g/files" "$g/initrd.cpio.gz"
	check "$here/boot.sh" "$kver" "$root" "$g/initrd.cpio.gz" "$g"
	python3 "$here/pkg_check.py" "$g/results.txt" "deb-$kver" >"$g/check.log" 2>&1
	grep '^FAIL' "$g/check.log"
	read -r gp gf < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$g/check.log")
	p=$((p + ${gp:-0}))
	f=$((f + ${gf:-1}))
	# show, status, top as CSV and JSON, loaded by pandas
	/usr/bin/python3 "$here/check_views.py" "$g/results.txt" "views-$kver" >"$g/views.log" 2>&1
	grep '^FAIL' "$g/views.log"
	read -r gp gf < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$g/views.log")
	p=$((p + ${gp:-0}))
	f=$((f + ${gf:-1}))
	# the module's counts through cvmstat export, node_exporter, Prometheus
	"$top/tests/prom-test.sh" "$g/results.txt" "$g/prom" "prom-$kver" $service >"$g/prom.log" 2>&1
	service=
	grep -E '^(FAIL|SKIP|NOTE|promql|workload)' "$g/prom.log"
	read -r gp gf < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$g/prom.log")
	p=$((p + ${gp:-0}))
	f=$((f + ${gf:-1}))
done <"$kernels"

# 4. purge: nothing left
check apt purge cvmstat cvmstat-dkms
check sh -c "! dpkg -L cvmstat >/dev/null 2>&1"
check sh -c "! dpkg -L cvmstat-dkms >/dev/null 2>&1"
check test ! -e /usr/sbin/cvmstat
check test ! -e "/usr/src/cvmstat-$version"
check test ! -e /var/lib/dkms/cvmstat
check sh -c "! ls /lib/modules/*/updates/dkms/cvmstat.ko* 2>/dev/null"
echo "deb: $p passed, $f failed"
[ "$f" -eq 0 ]
