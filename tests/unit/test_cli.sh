#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cvmstat's command line, without the module: every argument-parsing and
# error path, against cvmstat(8); and what show, status and top print, on a
# scripted device (tests/unit/fakedev.c, preloaded; needs gcc).  Usage:
# test_cli.sh [BINARY] (default userspace/cvmstat of this tree; the
# cvmstat-read cases use userspace/cvmstat-read).
#
# Every case checks three things, each one assertion:
#   - the exit status, exactly;
#   - stdout: empty on an error, else (or when out~RE is given) matching RE;
#   - stderr: empty on success (but with warn~RE: one line, "cvmstat:
#     COMMAND: warning: " matching RE); on an error exactly one line,
#     starting "cvmstat: COMMAND: " when a command was named, and for a
#     usage error (status 1) ending with "(see `cvmstat [COMMAND] --help`)";
#     matching err~RE when given.
# Ends with "cli: N passed, N failed"; exits 1 on any failure.
set -u
export LC_ALL=C # strerror() texts
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath -e "${1:-$top/userspace/cvmstat}") || exit 1
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # the unprivileged cases run from here

# Nothing here may reach a real /dev/cvmstat: commands that get past their
# argument parsing find no device (exit 4), unless a case says otherwise.
export CVMSTAT_DEV=$tmp/no-device
absent=$tmp/nonexistent

commands=(load unload status show top record phase reset export plot halt-poll latency summary)
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
passed=0
failed=0
skipped=0

# Can cases run as an unprivileged user?  They need root and setpriv.
if [ "$(id -u)" -ne 0 ]; then
	no_nobody="not root"
elif ! command -v setpriv >/dev/null; then
	no_nobody="setpriv (util-linux) not installed"
elif ! "${nobody[@]}" true 2>/dev/null; then
	no_nobody="setpriv cannot switch to uid 65534"
else
	no_nobody=
	cp "$bin" "$tmp/cvmstat" && chmod 755 "$tmp/cvmstat"
fi
# The cases about a missing module need it not loaded (and never unload it).
[ -e /sys/module/cvmstat ] && loaded=1 || loaded=

# The command a command line names ("" for the global options, an unknown
# command and `help`), as the error messages name it.
command_of() {
	while [ $# -gt 0 ]; do
		case $1 in
		-d | --device | --ecam)
			[ -z "${2-}" ] && return # a global error
			shift 2
			;;
		--device= | --ecam=) return ;; # a global error
		--device=* | --ecam=*) shift ;;
		-*) return ;;
		*)
			[[ " ${commands[*]} " == *" $1 "* ]] && echo "$1"
			return
			;;
		esac
	done
}

# expect CODE [CHECK...] -- ARGS...: runs cvmstat ARGS.  CHECKs:
#   out~RE    stdout matches the extended regex RE (on success or error)
#   err~RE    stderr matches RE
#   warn~RE   on success, stderr is one warning matching RE
#   VAR=VAL   in the environment
#   nobody    as uid/gid 65534 without groups (skipped when impossible)
#   nomodule  only when cvmstat.ko is not loaded (skipped otherwise)
# Leaves stdout in $out.
expect() {
	local code=$1 out_re='' err_re='' warn_re='' as='' nomod='' cmd err got label want f
	local -a env=() fails=()
	shift
	while [ "$1" != -- ]; do
		case $1 in
		out~*) out_re=${1#out~} ;;
		err~*) err_re=${1#err~} ;;
		warn~*) warn_re=${1#warn~} ;;
		nobody) as=nobody ;;
		nomodule) nomod=1 ;;
		*=*) env+=("$1") ;;
		*) echo "test_cli.sh: bad check '$1'" >&2; exit 2 ;;
		esac
		shift
	done
	shift
	label="${env[*]:+${env[*]} }${as:+[$as] }cvmstat"
	[ $# -gt 0 ] && label+=" $(printf '%q ' "$@")" && label=${label% }
	if [ -n "$nomod" ] && [ -n "$loaded" ]; then
		skip "$label" "cvmstat.ko is loaded here"
		return
	fi
	if [ -n "$as" ]; then
		[ -n "$no_nobody" ] && { skip "$label" "$no_nobody"; return; }
		env "${env[@]}" "${nobody[@]}" "$tmp/cvmstat" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		env "${env[@]}" "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	got=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
	cmd=$(command_of "$@")

	[ "$got" -eq "$code" ] || fails+=("exit $got, want $code")

	if [ -n "$out_re" ]; then
		[[ $out =~ $out_re ]] || fails+=("stdout does not match /$out_re/: '${out:0:200}'")
	elif [ "$code" -ne 0 ] && [ -s "$tmp/out" ]; then
		fails+=("stdout not empty: '${out:0:200}'")
	fi

	if [ "$code" -eq 0 ] && [ -z "$warn_re" ]; then
		[ -s "$tmp/err" ] && fails+=("stderr not empty: '${err:0:200}'")
	else
		want="^cvmstat: ${cmd:+$cmd: }"
		[ "$code" -eq 1 ] && want+=".+ \(see \`cvmstat ${cmd:+$cmd }--help\`\)$"
		[ "$code" -eq 0 ] && want+="warning: " && err_re=$warn_re
		if [[ -z $err || $err == *$'\n'* ]] ||
			! printf '%s\n' "$err" | cmp -s - "$tmp/err"; then
			fails+=("stderr is $(wc -l <"$tmp/err") lines, not one: '$(head -n1 "$tmp/err")'...")
		elif ! [[ $err =~ $want ]]; then
			fails+=("stderr does not match /$want/: '$err'")
		elif [ -n "$err_re" ] && ! [[ $err =~ $err_re ]]; then
			fails+=("stderr does not match /$err_re/: '$err'")
		fi
	fi

	passed=$((passed + 3 - ${#fails[@]}))
	failed=$((failed + ${#fails[@]}))
	if [ ${#fails[@]} -eq 0 ]; then
		echo "ok   $code  $label"
	else
		for f in "${fails[@]}"; do
			echo "FAIL $label: $f"
		done
	fi
}

skip() {
	echo "skip $1 ($2)"
	skipped=$((skipped + 1))
}

# assert LABEL COMMAND...: one assertion, that COMMAND succeeds.
assert() {
	local label=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok      $label"
	else
		failed=$((failed + 1))
		echo "FAIL $label"
	fi
}

# same LABEL A B: one assertion, A and B are the same text.
same() {
	assert "$1" [ "$2" == "$3" ]
}

# STRING as an extended regex matching itself.
# shellcheck disable=SC2001 # one bracket expression of the specials
re() {
	sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"
}

absent_re=$(re "$absent")
missing='No such file or directory; .*(`cvmstat load|DKMS)'
usage_err='needs an argument'
unknown='unknown option'
rec=(record -o "$tmp/rec.csv") # record, past its one required option

echo "# global options, no command"
expect 1 -- # the usage error is one line too (cvmstat(8), EXIT STATUS)
expect 1 -- -d /dev/null
expect 1 "err~unknown command \`bogus'" -- bogus
expect 1 "err~$unknown -Z" -- -Z
expect 1 "err~$unknown \`--bogus'" -- --bogus
expect 1 "err~$unknown \`--bogus'" -- --bogus show
expect 1 "err~option -d $usage_err" -- -d
expect 1 "err~option \`--device' $usage_err" -- --device
expect 1 'err~empty device path' -- -d '' show
expect 1 'err~empty device path' -- --device= show
for v in x '' -1 0xb0000001 0xb0000000,0 0xb0000000,0x20000000 0xb0000000, \
	' 0xb0000000' 0xb0000000x OFF; do
	expect 1 "err~invalid --ecam \`$(re "$v")'" -- --ecam "$v"
done
expect 1 "err~option \`--ecam' $usage_err" -- --ecam
for v in off 0xb0000000 0xe0000000,0x1000000 3758096384,16777216; do
	expect 4 "err~$missing" -- --ecam "$v" show
done
expect 4 "err~$missing" -- --ecam=off -d "$absent" show --by mmio
expect 1 "err~unknown command \`bogus'" -- help bogus
expect 0 'out~^Usage: cvmstat \[-d DEVICE\] \[--ecam BASE\[,SIZE\]\|off\] COMMAND' -- help help
expect 1 'err~help takes one COMMAND' -- help show extra

echo "# --help, -h, help, --version"
expect 0 'out~^Usage: cvmstat \[-d DEVICE\] \[--ecam BASE\[,SIZE\]\|off\] COMMAND' -- --help
help=$out
expect 0 'out~^Usage: cvmstat ' -- -h
same "cvmstat -h = cvmstat --help" "$help" "$out"
expect 0 'out~^Usage: cvmstat ' -- help
same "cvmstat help = cvmstat --help" "$help" "$out"
for c in "${commands[@]}"; do
	expect 0 "out~^Usage: cvmstat $c([^a-z]|$)" -- "$c" --help
	help=$out
	expect 0 "out~^Usage: cvmstat $c" -- "$c" -h
	same "cvmstat $c -h = cvmstat $c --help" "$help" "$out"
	expect 0 "out~^Usage: cvmstat $c" -- help "$c"
	same "cvmstat help $c = cvmstat $c --help" "$help" "$out"
	expect 0 "out~^Usage: cvmstat $c" -- -d "$absent" "$c" --help
done
expect 0 "out~^Usage: cvmstat record" -- record --help -o '' # help wins
expect 0 "out~^cvmstat ${version//./\\.} \(ABI [0-9]+\.[0-9]+\)$" -- --version
expect 0 "out~^cvmstat ${version//./\\.} \(ABI [0-9]+\.[0-9]+\)$" -- -V

echo "# unknown options and stray arguments, every command"
for c in "${commands[@]}"; do
	expect 1 "err~$unknown -Z" -- "$c" -Z
	expect 1 "err~$unknown \`--bogus'" -- "$c" --bogus
	expect 1 "err~$unknown \`--bogus=1'" -- "$c" --bogus=1
done
expect 1 "err~option \`--help' takes no value" -- show --help=1
expect 1 "err~option \`--all' takes no value" -- reset --all=1
expect 1 "err~$unknown \`--v'" -- show --v 1 # ambiguous: --vm, --vcpu
for c in unload status show top reset; do
	expect 1 "err~unexpected argument \`extra'" -- "$c" extra
done
expect 1 "err~unexpected argument \`extra'" -- reset --all extra

echo "# options missing their argument"
while read -r opt cmdline; do
	read -ra c <<<"$cmdline"
	c=("${c[@]//RECFILE/$tmp/rec.csv}")
	if [[ $opt == --* ]]; then
		expect 1 "err~option \`$opt' $usage_err" -- "${c[@]}" "$opt"
	else
		expect 1 "err~option $opt $usage_err" -- "${c[@]}" "$opt"
	fi
done <<'EOF'
--path  load
-p      load
--vm    show
--vcpu  show
--by    show
--top   show
--vm    top
-i      top
--interval top
-n      top
--count top
-o      record
--output record
-i      record -o RECFILE
--interval record -o RECFILE
--vm    record -o RECFILE
--format record -o RECFILE
-f      record -o RECFILE
--vm    reset
EOF

echo "# --vm PID: show, top, record, reset"
for c in show top record reset; do
	[ "$c" == record ] && a=("${rec[@]}") || a=("$c")
	for v in 0 -1 abc 99999999999 2147483648 +1 ' 1' 1x ''; do
		expect 1 "err~invalid process id \`$(re "$v")'" -- "${a[@]}" --vm "$v"
	done
	expect 1 "err~invalid process id \`'" -- "${a[@]}" --vm=
	expect 4 "err~$missing" -- "${a[@]}" --vm 1
	expect 4 "err~$missing" -- "${a[@]}" --vm=2147483647
done

echo "# show: --vcpu, --by, --top"
for v in -1 x '' 4294967296 1.5; do
	expect 1 "err~invalid vCPU \`$(re "$v")'" -- show --vcpu "$v"
done
expect 4 "err~$missing" -- show --vcpu 0
expect 4 "err~$missing" -- show --vcpu 4294967295
for v in bogus '' Reason vcpus; do
	expect 1 "err~invalid --by \`$(re "$v")'" -- show --by "$v"
done
for v in reason mmio msr pio vmgexit tdx vcpu; do
	expect 4 "err~$missing" -- show --by "$v"
done
for v in 0 x -1 '' 4294967296; do
	expect 1 "err~invalid --top \`$(re "$v")'" -- show --top "$v"
done
expect 4 "err~$missing" -- show --top 1
expect 4 "err~$missing" -- show --vm 1 --vcpu 2 --by mmio --top 10

echo "# intervals, top and record: decimal seconds in [0.01, 86400]"
for c in top record; do
	[ "$c" == record ] && a=("${rec[@]}") || a=("$c")
	for opt in -i --interval; do
		for v in 0 0.001 0.0099 -1 1e3 inf nan 86401 86400.0000001 abc '' \
			. 1.2.3 0x10 ' 1' 1s; do
			expect 1 "err~invalid interval \`$(re "$v")'" -- "${a[@]}" "$opt" "$v"
		done
		for v in 0.5 86400 0.01 .5 5. 1; do
			expect 4 "err~$missing" -- "${a[@]}" "$opt" "$v"
		done
	done
	expect 1 "err~invalid interval \`0'" -- "${a[@]}" --interval=0
	expect 4 "err~$missing" -- "${a[@]}" --interval=0.5
done

echo "# top -n, record -o and --format"
for opt in -n --count; do
	for v in 0 -1 x ''; do
		expect 1 "err~invalid count \`$(re "$v")'" -- top "$opt" "$v"
	done
	expect 4 "err~$missing" -- top "$opt" 1
done
expect 1 'err~no output file' -- record
expect 1 'err~no output file' -- record -i 1 --vm 1 --format json
expect 1 'err~no output file' -- record -- true
expect 1 'err~empty output file name' -- record -o ''
expect 1 'err~empty output file name' -- record --output=
for v in xml CSV text ''; do
	expect 1 "err~invalid format \`$(re "$v")'" -- "${rec[@]}" --format "$v"
	expect 1 "err~invalid format \`$(re "$v")'" -- "${rec[@]}" -f "$v"
done
expect 4 "err~$missing" -- "${rec[@]}" --format csv
expect 4 "err~$missing" -- "${rec[@]}" -f json
expect 4 "err~$missing" -- record -o - -i 0.5 --vm 1 --format json -- true
expect 4 "err~$missing" -- record --output "$tmp/rec.csv" -- "$absent"
assert "record creates no file without a device" [ ! -e "$tmp/rec.csv" ]

echo "# phase NAME: 1 to 63 bytes"
name63=$(printf 'p%.0s' {1..63})
expect 1 'err~no phase NAME' -- phase
expect 1 'err~one NAME only' -- phase warmup measure
expect 1 'err~1 to 63 bytes' -- phase ''
expect 1 'err~1 to 63 bytes' -- phase "${name63}x"
expect 4 "err~$missing" -- phase "$name63"
expect 4 "err~$missing" -- phase 'warm up, "quoted"'
expect 4 "err~$missing" -- phase -- -x

echo "# reset: --vm PID or --all, not both, not neither"
expect 1 'err~either --vm PID or --all' -- reset
expect 1 'err~either --vm PID or --all' -- reset --all --vm 1
expect 1 'err~either --vm PID or --all' -- reset --vm 1 --all
expect 4 "err~$missing" -- reset --all

echo "# load and unload (nothing here loads a module)"
for p in max_vms =1 1x=2 'a b=1' max_vms= 'max_vms=1 2' 'x-y=1' 'a="1"'; do
	expect 1 "err~invalid module parameter \`$(re "$p")'" -- load "$p"
done
expect 1 'err~invalid module parameter `bad' -- load max_vms=1 bad
expect 1 'err~empty --path' -- load --path ''
expect 2 "err~$absent_re: No such file or directory" -- load --path "$absent"
expect 2 "err~$absent_re: No such file or directory" -- load --path="$absent" max_vms=1
expect 0 'out~^cvmstat\.ko is not loaded$' nomodule -- unload

echo "# the device: missing, not cvmstat's, not readable"
for c in show top record phase reset; do
	case $c in
	record) a=("${rec[@]}") ;;
	phase) a=(phase x) ;;
	reset) a=(reset --all) ;;
	*) a=("$c") ;;
	esac
	expect 4 "err~$absent_re: $missing" nomodule -- -d "$absent" "${a[@]}"
	expect 4 "err~$absent_re: $missing" nomodule CVMSTAT_DEV="$absent" -- "${a[@]}"
	expect 4 'err~/dev/null: version query: Inappropriate ioctl' CVMSTAT_DEV=/dev/null -- "${a[@]}"
done
expect 4 "err~$missing" nomodule CVMSTAT_DEV=/nonexistent -- show
expect 4 "err~$missing" nomodule -- -d /nonexistent show
expect 4 "err~^cvmstat: show: $absent_re: " CVMSTAT_DEV=/dev/null -- -d "$absent" show # -d wins
expect 4 "err~^cvmstat: show: $absent_re: " CVMSTAT_DEV=/dev/null -- --device="$absent" show
expect 4 'err~version query: Inappropriate ioctl' -- -d /dev/null show
expect 4 'err~version query: Inappropriate ioctl' -- -d "$tmp" show # a directory
echo x >"$tmp/plain"
expect 4 'err~version query: Inappropriate ioctl' -- -d "$tmp/plain" show
expect 4 'out~cvmstat\.ko not (installed|loaded)' 'err~not (installed|loaded)' nomodule -- status
expect 4 'out~cvmstat\.ko not (installed|loaded)' 'err~not (installed|loaded)' nomodule -- -d /dev/null status

echo "# permission denied: a root-only device, as uid 65534"
touch "$tmp/root-only" && chmod 600 "$tmp/root-only"
for c in show top record phase reset; do
	case $c in
	record) a=(record -o -) ;;
	phase) a=(phase x) ;;
	reset) a=(reset --all) ;;
	*) a=("$c") ;;
	esac
	expect 5 'err~Permission denied' nobody -- -d "$tmp/root-only" "${a[@]}"
done
expect 5 'err~Permission denied' nobody CVMSTAT_DEV="$tmp/root-only" -- show
expect 1 'err~invalid process id' nobody -- -d "$tmp/root-only" show --vm 0 # parsing first
# Loading needs root: a .ko the user cannot read, or the load itself.
expect 5 'err~Permission denied' nobody -- load --path "$tmp/root-only"
if [ -e /proc/modules ]; then
	echo junk >"$tmp/junk.ko"
	chmod 644 "$tmp/junk.ko"
	expect 5 'err~not permitted' nomodule nobody -- load --path "$tmp/junk.ko"
else
	skip "[nobody] cvmstat load --path junk.ko" "this kernel has no module support"
fi
expect 0 'out~^cvmstat\.ko is not loaded$' nomodule nobody -- unload

echo "# halt-poll: KVM's parameters in a stand-in for /sys/module/kvm/parameters"
kp=$tmp/kvm/parameters
st=$tmp/run
mkdir -p "$kp"
hp=(CVMSTAT_KVM_PARAMS="$kp" CVMSTAT_RUN_DIR="$st")
hp_reset() {
	echo 200000 >"$kp/halt_poll_ns"
	echo 2 >"$kp/halt_poll_ns_grow"
	echo 10000 >"$kp/halt_poll_ns_grow_start"
	echo 2 >"$kp/halt_poll_ns_shrink"
	rm -rf "$st"
}
hp_reset
nl=$'\n'
expect 0 "out~^halt_poll_ns +200000${nl}halt_poll_ns_grow +2${nl}halt_poll_ns_grow_start +10000${nl}halt_poll_ns_shrink +2${nl}${nl}\(cvmstat\.ko is not loaded: no per-VM values\)$" \
	"${hp[@]}" -- halt-poll
expect 0 "out~^halt_poll_ns=50000 \(was 200000\)${nl}halt_poll_ns_grow=4 \(was 2\)$" \
	"${hp[@]}" -- halt-poll halt_poll_ns=50000 halt_poll_ns_grow=4
same "halt-poll: halt_poll_ns written" "$(cat "$kp/halt_poll_ns")" 50000
same "halt-poll: the originals kept" "$(cat "$st/halt-poll")" \
	"halt_poll_ns=200000${nl}halt_poll_ns_grow=2"
expect 0 "out~^halt_poll_ns=0 \(was 50000\)$" "${hp[@]}" -- halt-poll halt_poll_ns=0
same "halt-poll: the first original stays" "$(cat "$st/halt-poll")" \
	"halt_poll_ns=200000${nl}halt_poll_ns_grow=2"
expect 0 "out~changed by cvmstat: halt_poll_ns, was 200000 \(--restore puts it back\)" \
	"${hp[@]}" -- halt-poll
expect 0 "out~^global parameters: 2 put back$" "${hp[@]}" -- halt-poll --restore
same "halt-poll --restore: the values back" "$(cat "$kp"/halt_poll_ns "$kp"/halt_poll_ns_grow)" \
	"200000${nl}2"
assert "halt-poll --restore: no state file left" [ ! -e "$st/halt-poll" ]
expect 0 "out~^global parameters: 0 put back$" "${hp[@]}" -- halt-poll --restore
expect 1 "err~unknown setting \`bogus'" "${hp[@]}" -- halt-poll bogus=1
expect 1 "err~expected NAME=VALUE, got \`halt_poll_ns'" "${hp[@]}" -- halt-poll halt_poll_ns
expect 1 "err~expected NAME=VALUE, got \`=5'" "${hp[@]}" -- halt-poll =5
for v in -1 4294967296 1x '' ' 1' 0x10 1.5; do
	expect 1 "err~invalid value \`$(re "$v")' for halt_poll_ns \(0\.\.4294967295\)" \
		"${hp[@]}" -- halt-poll "halt_poll_ns=$v"
done
expect 0 "out~^halt_poll_ns_shrink=4294967295 \(was 2\)$" "${hp[@]}" -- \
	halt-poll halt_poll_ns_shrink=4294967295
hp_reset
expect 1 'err~halt_poll_ns given twice' "${hp[@]}" -- halt-poll halt_poll_ns=1 halt_poll_ns=2
expect 1 'err~vm_halt_poll_ns needs --vm PID' "${hp[@]}" -- halt-poll vm_halt_poll_ns=5
expect 1 'err~--clear needs --vm PID' "${hp[@]}" -- halt-poll --clear
expect 1 'err~--clear and --restore exclude each other' "${hp[@]}" -- halt-poll --vm 1 --clear --restore
expect 1 'err~--restore takes no NAME=VALUE' "${hp[@]}" -- halt-poll --restore halt_poll_ns=1
expect 1 'err~--clear takes no NAME=VALUE' "${hp[@]}" -- halt-poll --vm 1 --clear halt_poll_ns=1
expect 1 "err~invalid process id \`0'" "${hp[@]}" -- halt-poll --vm 0
expect 1 "err~option \`--vm' $usage_err" "${hp[@]}" -- halt-poll --vm
expect 1 "err~option \`--clear' takes no value" "${hp[@]}" -- halt-poll --clear=1
# a per-VM value needs the module: nothing else is changed before it fails
expect 4 "err~$missing" "${hp[@]}" -- halt-poll --vm 1 vm_halt_poll_ns=5 halt_poll_ns=7
same "halt-poll: nothing changed without the module" "$(cat "$kp/halt_poll_ns")" 200000
expect 4 "err~$missing" "${hp[@]}" -- halt-poll --vm 1
expect 4 "err~$missing" "${hp[@]}" -- halt-poll --vm 1 --clear
expect 4 "err~$missing" -- show --by haltpoll
# a parameter this kernel does not have: refused, nothing changed
rm "$kp/halt_poll_ns_shrink"
expect 2 "err~^cvmstat: halt-poll: halt_poll_ns_shrink: not a parameter of this kernel's kvm module$" \
	"${hp[@]}" -- halt-poll halt_poll_ns=1 halt_poll_ns_shrink=3
same "halt-poll: nothing changed when one is missing" "$(cat "$kp/halt_poll_ns")" 200000
assert "halt-poll: no state file when nothing changed" [ ! -e "$st/halt-poll" ]
expect 0 "out~halt_poll_ns_shrink +\(not a parameter of this kernel, or kvm not loaded\)" \
	"${hp[@]}" -- halt-poll
expect 2 "err~^cvmstat: halt-poll: kvm is not loaded \(no $(re "$tmp")/nokvm/parameters\)$" \
	CVMSTAT_KVM_PARAMS="$tmp/nokvm/parameters" CVMSTAT_RUN_DIR="$st" -- halt-poll halt_poll_ns=1
hp_reset
# as a user: the state directory, then the parameters, are root's
if [ -z "$no_nobody" ]; then
	chmod 755 "$tmp/kvm" "$kp"
	mkdir -p "$st" && chmod 755 "$st"
	expect 5 "err~^cvmstat: halt-poll: cannot keep the original values in $(re "$st")/halt-poll: Permission denied \(run as root\)$" \
		nobody "${hp[@]}" -- halt-poll halt_poll_ns=1
	chmod 777 "$st"
	chown 65534 "$kp/halt_poll_ns"
	# the first is written, the second refused: the first goes back
	expect 5 "err~^cvmstat: halt-poll: writing $(re "$kp")/halt_poll_ns_grow: Permission denied \(run as root\)$" \
		nobody "${hp[@]}" -- halt-poll halt_poll_ns=1 halt_poll_ns_grow=3
	same "halt-poll: rolled back after a failed write" "$(cat "$kp/halt_poll_ns")" 200000
	expect 0 "out~^halt_poll_ns +200000" nobody "${hp[@]}" -- halt-poll
	chown 0 "$kp/halt_poll_ns"
else
	skip "[nobody] cvmstat halt-poll" "$no_nobody"
fi

echo "# record --sweep: its argument"
for a in "bogus=1:unknown setting \`bogus'" "halt_poll_ns=:invalid value \`' for halt_poll_ns" \
	"halt_poll_ns=1,,2:invalid value \`' for halt_poll_ns" \
	"halt_poll_ns=1,x:invalid value \`x' for halt_poll_ns" \
	"halt_poll_ns:expected NAME=VALUE"; do
	expect 1 "err~$(re "${a#*:}")" -- "${rec[@]}" --sweep "${a%%:*}" -- true
done
expect 1 "err~more than 64 values to sweep" -- "${rec[@]}" \
	--sweep "halt_poll_ns=$(seq -s, 0 64)" -- true
expect 1 'err~--sweep needs a COMMAND to run per value' -- "${rec[@]}" --sweep halt_poll_ns=1
expect 1 'err~vm_halt_poll_ns needs --vm PID' -- "${rec[@]}" --sweep vm_halt_poll_ns=1 -- true
expect 1 'err~--vm PID sweeps vm_halt_poll_ns only' -- "${rec[@]}" --vm 1 \
	--sweep halt_poll_ns=1 -- true
expect 1 'err~one --sweep only' -- "${rec[@]}" --sweep halt_poll_ns=1 --sweep halt_poll_ns=2 -- true
expect 1 "err~option \`--sweep' $usage_err" -- "${rec[@]}" --sweep


echo "# a scripted device (tests/unit/fakedev.c): what show, status, top print"
fakelib=$tmp/fakedev.so
fake=(FAKEDEV_PATH="$tmp/fakedev" FAKEDEV_SCRIPT="$tmp/fakedev.script"
	CVMSTAT_DEV="$tmp/fakedev" LD_PRELOAD="$fakelib")
# VM 1 (plain, 2 vCPUs) lost keys in three tables; VM 2 (SNP) in one.
# Counts of kind 9 (vcpu) are the sums of the vCPU's reasons, kept or not.
cat >"$tmp/fakedev.script" <<'EOF'
version 1 2 3
vm 1 100 2 0 1 qemu-system-x86
vm 2 200 1 3 0 qemu-snp
# vm vcpu kind dir key count
rec 1 0 9 0 0 135
rec 1 0 1 0 0x20000007b 100
rec 1 0 1 0 0x200000072 30
rec 1 0 8 0 1 5
rec 1 0 5 2 0x80b 40
rec 1 0 5 1 0x411 10
rec 1 0 6 1 0x2f 6
rec 1 0 6 2 0x2e 6
rec 1 0 8 0 5 150
rec 1 1 9 0 1 12
rec 1 1 1 0 0x200000400 12
rec 1 1 4 1 0xfed000f0 3
rec 1 1 4 1 0xb00fa040 2
rec 1 1 8 0 5 50
rec 1 1 8 0 4 7
rec 2 0 9 0 0 5
rec 2 0 1 0 0x200000403 5
rec 2 0 2 0 0x80000010 4
rec 2 0 3 0 0x004 3
rec 2 0 8 0 3 2
# halt polling (kinds 10 halt, 12 halt_window, 13 halt_state), read only
# with the flags that ask for them; VM 1's maximum
rec 1 0 10 0 0 10
rec 1 0 10 0 1 6
rec 1 0 10 0 2 3
rec 1 0 10 0 3 1
rec 1 0 10 0 6 5000000
rec 1 0 10 0 7 120000
rec 1 0 10 0 8 600000
rec 1 0 10 0 9 4000000
rec 1 0 10 0 10 4
rec 1 0 10 0 11 1
rec 1 0 12 0 10000 2
rec 1 0 12 0 20000 7
rec 1 0 13 0 0 20000
rec 1 1 10 0 0 4
rec 1 1 10 0 3 4
rec 1 1 10 0 4 4
rec 1 1 10 0 6 8000000
rec 1 1 10 0 9 7900000
rec 1 1 13 0 1 1
hpvm 1 200000 0 0
at 1 7
mark 7 0 0 1 0 warm
EOF
# exact STDOUT as an anchored regex
exact() {
	printf '^%s$' "$(re "$1")"
}
head1='VM 1: pid 100 (qemu-system-x86), plain, 2 vCPUs, alive'
head2='VM 2: pid 200 (qemu-snp), SNP, 1 vCPUs, exited'
cols='         COUNT   SHARE  KEY          DIR    NAME'
lost='(not keyed: table full)'
if ! gcc -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -shared -fPIC \
	-I"$top/kmod/include/uapi" -o "$fakelib" "$top/tests/unit/fakedev.c" -ldl; then
	failed=$((failed + 1))
	echo "FAIL building tests/unit/fakedev.c"
else
	expect 0 "out~$(exact "$head1
$cols
           100   68.0%  0x7b         -      IOIO
            30   20.4%  0x72         -      CPUID
            12    8.2%  0x400        -      NPF
             5    3.4%  -            -      $lost
           147  100.0%  total

$head2
$cols
             5  100.0%  0x403        -      VMGEXIT
             5  100.0%  total")" \
		"warn~^cvmstat: show: warning: VM 1: 5 of 147 reason events \(3\.4%\) found the module's key table full and have no key: see the row \(not keyed: table full\)$" \
		"${fake[@]}" -- show
	expect 0 "out~$(exact "$head1
$cols
            40   16.0%  0x80b        write  X2APIC_EOI
            10    4.0%  0x411        read   MC4_STATUS
           200   80.0%  -            -      $lost
           250  100.0%  total

$head2
$cols
             0    0.0%  total")" \
		"warn~VM 1: 200 of 250 msr events \(80\.0%\) " "${fake[@]}" -- show --by msr
	# --top cuts the keyed rows, never the lost ones
	expect 0 "out~$(exact "$head1
$cols
            40   16.0%  0x80b        write  X2APIC_EOI
           ...  (1 more rows: --top)
           200   80.0%  -            -      $lost
           250  100.0%  total")" \
		"warn~VM 1: 200 of 250 msr events" "${fake[@]}" -- show --by msr --top 1 --vm 100
	expect 0 "out~$(exact "$head1
vCPU 1 only
$cols
             3   25.0%  0xfed000f0   read   HPET MAIN_COUNTER
             2   16.7%  0xb00fa040   read   PCI ECAM 00:1f.2 reg 0x40
             7   58.3%  -            -      $lost
            12  100.0%  total

$head2
vCPU 1 only
(no exits of vCPU 1)")" \
		"warn~VM 1: 7 of 12 mmio events \(58\.3%\) " "${fake[@]}" -- show --by mmio --vcpu 1
	expect 0 'out~  0xb00fa040   read   0xb00fa040
' "warn~VM 1: 7 of 12 mmio" "${fake[@]}" -- --ecam off show --by mmio --vcpu 1
	expect 0 'out~  0xb00fa040   read   PCI ECAM 02:1f\.2 reg 0x40
' "warn~VM 1: 7 of 12 mmio" "${fake[@]}" -- --ecam 0xafe00000,0x400000 show --by mmio --vm 100
	expect 0 'out~  0xb00fa040   read   0xb00fa040
' "warn~VM 1: 7 of 12 mmio" "${fake[@]}" -- --ecam 0xafe00000,0x200000 show --by mmio --vm 100
	expect 0 "out~$(exact "$head1
$cols
             6   50.0%  0x2e         write  SUPERIO_INDEX
             6   50.0%  0x2f         read   SUPERIO_DATA
            12  100.0%  total")" "${fake[@]}" -- show --by pio --vm 100
	expect 0 "out~$(exact "$head2
$cols
             4   44.4%  0x80000010   -      PSC
             3   33.3%  0x4          -      CPUID_REQ (MSR protocol)
             2   22.2%  -            -      $lost (MSR protocol)
             9  100.0%  total")" \
		"warn~VM 2: 2 of 9 vmgexit events \(22\.2%\) " "${fake[@]}" -- show --by vmgexit --vm 200
	expect 0 "out~$(exact "$head1
         COUNT   SHARE  VCPU         DIR    NAME
           135   91.8%  0            -      exits
            12    8.2%  1            -      exits
           147  100.0%  total")" "${fake[@]}" -- show --by vcpu --vm 100
	expect 0 "out~
$(re ' VM_ID      PID  COMMAND           VCPUS  TYPE    STATE   NOT_KEYED
     1      100  qemu-system-x86       2  plain   alive   reason 5, mmio 7, msr 200
     2      200  qemu-snp              1  SNP     exited  ghcb_msr 2')$" "${fake[@]}" -- status
	expect 0 "out~
held:       2 VMs; untracked VMs 1, vCPUs 2; unattributed events 3
" "${fake[@]}" -- status
	expect 0 "out~ 2 VMs  0 exits/s  \(interval 0\.[0-9]+ s\)
$(re 'REASON                                   RATE/s   SHARE            TOTAL
IOIO                                        0.0    0.0%              100
CPUID                                       0.0    0.0%               30
NPF                                         0.0    0.0%               12
VMGEXIT                                     0.0    0.0%                5
not keyed (table full): reason 0.0/s (5 total), ghcb_msr 0.0/s (2 total), mmio 0.0/s (7 total), msr 0.0/s (200 total)')$" \
		"${fake[@]}" -- top -n 1 -i 0.01

	# top while the module times exits: each reason's mean and p99 over
	# the interval, from the histograms' deltas (the script's counts once:
	# 100 CPUID exits, 50 in [1024, 1088), 45 in [2048, 2176), 5 in [4096,
	# 4352); p99 = 4096 + 256 * 3.5 / 5 ns); "-" for a reason not timed
	cat >"$tmp/lat.script" <<'EOF'
features 0x23f
latency 1
scale
vm 1 100 1 0 1 qemu-system-x86
rec 1 0 1 0 0x200000072 100
rec 1 0 1 0 0x20000007b 3
rec 1 0 14 1 0x200000072 100
rec 1 0 15 1 0x200000072 150000
rec 1 0 16 1 0x200000072 1030
rec 1 0 17 1 0x200000072 4300
rec 1 0 18 1 0x700200000072 50
rec 1 0 18 1 0x800200000072 45
rec 1 0 18 1 0x900200000072 5
EOF
	latfake=(FAKEDEV_PATH="$tmp/fakedev" FAKEDEV_SCRIPT="$tmp/lat.script"
		CVMSTAT_DEV="$tmp/fakedev" LD_PRELOAD="$fakelib")
	num='[0-9]+\.[0-9]'
	expect 0 "out~ 1 VM  [0-9]+ exits/s  \(interval 0\.[0-9]+ s\)
REASON  +RATE/s   SHARE            TOTAL    MEAN_US     P99_US
CPUID  +$num+   97\.1%              200      1\.500      4\.275
IOIO  +$num+    2\.9%                6          -          -$" \
		"${latfake[@]}" -- top -n 1 -i 0.01
	expect 0 "out~^time_ns,time,kind,key,name,rate,share,count,total,lat_mean_us,lat_p99_us
[0-9]+,[-0-9T:.]+Z,reason,8589934706,CPUID,$num+,97\.1,100,200,1\.500,4\.275
[0-9]+,[-0-9T:.]+Z,reason,8589934715,IOIO,$num+,2\.9,3,6,,$" \
		"${latfake[@]}" -- top -n 1 -i 0.01 --format csv
	expect 0 "out~\"total\":6,\"lat_mean_us\":null,\"lat_p99_us\":null\}$" \
		"${latfake[@]}" -- top -n 1 -i 0.01 --format json
	sed -i 's/^latency 1/latency 0/' "$tmp/lat.script"
	expect 0 "out~^time_ns,time,kind,key,name,rate,share,count,total
" "${latfake[@]}" -- top -n 1 -i 0.01 --format csv
	# record --latency: the rows' two more columns; timing off is a
	# warning (the module reads no times then: here the script's scale)
	expect 0 "out~^time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count,lo_ns,hi_ns
.*
[0-9]+,[-0-9T:.]+Z,0,-,1,100,0,lat_bucket,114,kernel,CPUID,50,1024,1088
" "warn~^cvmstat: record: warning: exit-handling time is off: no lat_\* rows until \`cvmstat latency on\`$" \
		"${latfake[@]}" -- record -o - -i 0.01 --latency -- true
	sed -i 's/^features .*/features 0x3f/' "$tmp/lat.script"
	expect 4 "err~^cvmstat: record: the loaded cvmstat.ko cannot time exits \(ABI 1\.[0-9]+, 1\.4 needed\)$" \
		"${latfake[@]}" -- record -o - -i 0.01 --latency -- true

	# --format csv|json: the same rows, fields named as record's columns
	show_csv='vm_id,pid,comm,vcpu,kind,count,share,key,dir,name
1,100,qemu-system-x86,-1,reason,100,68.0,8589934715,-,IOIO
1,100,qemu-system-x86,-1,reason,30,20.4,8589934706,-,CPUID
1,100,qemu-system-x86,-1,reason,12,8.2,8589935616,-,NPF
1,100,qemu-system-x86,-1,overflow,5,3.4,1,-,(not keyed: table full)
2,200,qemu-snp,-1,reason,5,100.0,8589935619,-,VMGEXIT'
	expect 0 "out~$(exact "$show_csv")" "warn~VM 1: 5 of 147" "${fake[@]}" -- show --format csv
	expect 0 "out~$(exact '{"vm_id":1,"pid":100,"comm":"qemu-system-x86","vcpu":1,"kind":"mmio","count":3,"share":25.0,"key":4275044592,"dir":"read","name":"HPET MAIN_COUNTER"}
{"vm_id":1,"pid":100,"comm":"qemu-system-x86","vcpu":1,"kind":"overflow","count":7,"share":58.3,"key":4,"dir":"-","name":"(not keyed: table full)"}')" \
		"warn~VM 1: 7 of 12 mmio" "${fake[@]}" -- show --format json --by mmio --vcpu 1 --top 1
	expect 1 "err~invalid --format \`xml' \(text, csv, json\)" -- show --format xml
	# --by haltpoll: one row per vCPU, from its own fields; the text's VM
	# lines and total are not rows
	hp_cols='VCPU       HALTS     OK%   POLL_OK POLL_FAIL   NO_POLL   POLL_OK_MS    WASTED_MS    WAITED_MS  WINDOWS_NS             WINDOW GUEST'
	expect 0 "out~$(exact "VM 1: pid 100 (qemu-system-x86), 2 vCPUs, alive
maximum poll window 200000 ns (global)
$hp_cols
0             10   60.0%         6         3         1        0.120        0.600        4.000  10000-20000             20000 on
1              4    0.0%         0         0         4        0.000        0.000        7.900  -                           0 off
total         14   42.9%         6         3         5        0.120        0.600       11.900  10000-20000                   ")" \
		"${fake[@]}" -- show --by haltpoll --vm 100
	hp_head=vm_id,pid,comm,vcpu,max_ns,max_source,halts,poll_ok_share,poll_ok,poll_fail,not_polled,not_polled_guest,invalid,halted_ns,poll_ok_ns,poll_fail_ns,wait_ns,grow,shrink,window_min,window_max,window,guest_poll
	expect 0 "out~$(exact "$hp_head
1,100,qemu-system-x86,0,200000,global,10,60.0,6,3,1,0,0,5000000,120000,600000,4000000,4,1,10000,20000,20000,on
1,100,qemu-system-x86,1,200000,global,4,0.0,0,0,4,4,0,8000000,0,0,7900000,0,0,0,0,0,off
2,200,qemu-snp,0,-1,-,0,0.0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,on")" \
		"${fake[@]}" -- show --by haltpoll --format csv
	expect 0 "out~$(exact '{"vm_id":1,"pid":100,"comm":"qemu-system-x86","vcpu":1,"max_ns":200000,"max_source":"global","halts":4,"poll_ok_share":0.0,"poll_ok":0,"poll_fail":0,"not_polled":4,"not_polled_guest":4,"invalid":0,"halted_ns":8000000,"poll_ok_ns":0,"poll_fail_ns":0,"wait_ns":7900000,"grow":0,"shrink":0,"window_min":0,"window_max":0,"window":0,"guest_poll":"off"}')" \
		"${fake[@]}" -- show --by haltpoll --format json --vm 100 --vcpu 1
	for fmt in csv json; do
		env "${fake[@]}" "$bin" show --by haltpoll --format $fmt >"$tmp/hp.$fmt" 2>/dev/null
		assert "show --by haltpoll --format $fmt loads into pandas" /usr/bin/python3 - "$tmp/hp.$fmt" $fmt "$hp_head" <<'PY'
import sys, pandas as pd
f, fmt, head = sys.argv[1:]
d = pd.read_csv(f) if fmt == "csv" else pd.read_json(f, lines=True)
assert list(d.columns) == head.split(","), list(d.columns)
for c in d.columns:
    if c not in ("comm", "max_source", "guest_poll", "poll_ok_share"):
        assert d[c].dtype.kind == "i", (c, d[c].dtype)
assert d["halts"].sum() == 14 and d["poll_ok"].sum() == 6, d
assert list(d["guest_poll"]) == ["on", "off", "on"]
PY
	done
	expect 0 "out~$(exact 'vm_id,pid,comm,nr_vcpus,type,state,not_keyed,guest_marks_dropped
1,100,qemu-system-x86,2,plain,alive,"reason 5, mmio 7, msr 200",0
2,200,qemu-snp,1,SNP,exited,ghcb_msr 2,0')" "${fake[@]}" -- status --format csv
	expect 0 "out~$(exact '{"vm_id":1,"pid":100,"comm":"qemu-system-x86","nr_vcpus":2,"type":"plain","state":"alive","not_keyed":"reason 5, mmio 7, msr 200","guest_marks_dropped":0}
{"vm_id":2,"pid":200,"comm":"qemu-snp","nr_vcpus":1,"type":"SNP","state":"exited","not_keyed":"ghcb_msr 2","guest_marks_dropped":0}')" \
		"${fake[@]}" -- status --format json
	expect 1 "err~invalid --format \`yaml' \(text, csv, json\)" -- status --format yaml
	expect 1 "err~unexpected argument \`x'" -- status x
	for fmt in csv json; do
		env "${fake[@]}" "$bin" show --format $fmt --by msr >"$tmp/show.$fmt" 2>/dev/null
		assert "show --format $fmt loads into pandas" /usr/bin/python3 - "$tmp/show.$fmt" $fmt <<'PY'
import sys, pandas as pd
f, fmt = sys.argv[1], sys.argv[2]
d = pd.read_csv(f) if fmt == "csv" else pd.read_json(f, lines=True)
assert list(d.columns) == ["vm_id", "pid", "comm", "vcpu", "kind", "count",
                           "share", "key", "dir", "name"], list(d.columns)
for c in ("vm_id", "pid", "vcpu", "count", "key"):
    assert d[c].dtype.kind == "i", (c, d[c].dtype)
assert d["count"].sum() == 250, d["count"].sum()
assert not d.isna().any().any()
PY
	done

	for fmt in csv json; do
		env "${fake[@]}" "$bin" status --format $fmt >"$tmp/status.$fmt" 2>/dev/null
		assert "status --format $fmt loads into pandas" /usr/bin/python3 - "$tmp/status.$fmt" $fmt <<'PY'
import sys, pandas as pd
f, fmt = sys.argv[1], sys.argv[2]
d = pd.read_csv(f) if fmt == "csv" else pd.read_json(f, lines=True)
assert list(d.columns) == ["vm_id", "pid", "comm", "nr_vcpus", "type", "state",
                           "not_keyed", "guest_marks_dropped"], list(d.columns)
assert list(d["pid"]) == [100, 200] and d["nr_vcpus"].sum() == 3
assert d["not_keyed"][0] == "reason 5, mmio 7, msr 200"
PY
	done

	# top --format csv|json: rows per refresh, the not-keyed ones as kind overflow
	expect 0 "out~^time_ns,time,kind,key,name,rate,share,count,total
([0-9]+,[-0-9T:.]+Z,reason,8589934715,IOIO,0\.000,0\.0,0,100
[0-9]+,[-0-9T:.]+Z,reason,8589934706,CPUID,0\.000,0\.0,0,30
[0-9]+,[-0-9T:.]+Z,reason,8589935616,NPF,0\.000,0\.0,0,12
[0-9]+,[-0-9T:.]+Z,reason,8589935619,VMGEXIT,0\.000,0\.0,0,5
[0-9]+,[-0-9T:.]+Z,overflow,1,\(not keyed: table full\),0\.000,0\.0,0,5
[0-9]+,[-0-9T:.]+Z,overflow,3,\(not keyed: table full\),0\.000,0\.0,0,2
[0-9]+,[-0-9T:.]+Z,overflow,4,\(not keyed: table full\),0\.000,0\.0,0,7
[0-9]+,[-0-9T:.]+Z,overflow,5,\(not keyed: table full\),0\.000,0\.0,0,200
?){2}\$" "${fake[@]}" -- top -n 2 -i 0.01 --format csv
	expect 0 "out~^\\{\"time_ns\":[0-9]+,\"time\":\"[-0-9T:.]+Z\",\"kind\":\"reason\",\"key\":8589934715,\"name\":\"IOIO\",\"rate\":0\.000,\"share\":0\.0,\"count\":0,\"total\":100\\}" \
		"${fake[@]}" -- top -n 1 -i 0.01 --format json
	expect 1 "err~invalid --format \`xml' \(text, csv, json\)" -- top --format xml
	for fmt in csv json; do
		env "${fake[@]}" "$bin" top -n 2 -i 0.01 --format $fmt >"$tmp/top.$fmt" 2>/dev/null
		assert "top --format $fmt loads into pandas" /usr/bin/python3 - "$tmp/top.$fmt" $fmt <<'PY'
import sys, pandas as pd
f, fmt = sys.argv[1], sys.argv[2]
d = pd.read_csv(f) if fmt == "csv" else pd.read_json(f, lines=True)
assert list(d.columns) == ["time_ns", "time", "kind", "key", "name", "rate",
                           "share", "count", "total"], list(d.columns)
assert len(d) == 16 and d["time_ns"].nunique() == 2, d
assert d[d.kind == "reason"]["total"].sum() == 2 * 147
PY
	done

	# export: OpenMetrics text, bounded labels, atomic -o
	vm1='vm_id="1",pid="100",comm="qemu-system-x86",type="plain"'
	expect 0 "out~^# TYPE cvmstat_exits_total counter
# HELP cvmstat_exits_total VM exits by exit reason\.
$(re "cvmstat_exits_total{$vm1,reason=\"IOIO\"} 100
cvmstat_exits_total{$vm1,reason=\"CPUID\"} 30
cvmstat_exits_total{$vm1,reason=\"NPF\"} 12")
.*
# EOF\$" "${fake[@]}" -- export
	expect 0 "out~$(re "cvmstat_vcpu_exits_total{$vm1,vcpu=\"0\"} 135
cvmstat_vcpu_exits_total{$vm1,vcpu=\"other\"} 12")" "${fake[@]}" -- export --per vcpu --top 1
	# halt polling per VM, and per vCPU with --per vcpu (top N by halts),
	# from a module that measures it (feature bits 7, 8)
	vm2='vm_id="2",pid="200",comm="qemu-snp",type="SNP"'
	{ cat "$tmp/fakedev.script"; echo "features 0x1ff"; } >"$tmp/fakedev-hp.script"
	fake_hp=("${fake[@]/#FAKEDEV_SCRIPT=*/FAKEDEV_SCRIPT=$tmp/fakedev-hp.script}")
	expect 0 "out~$(re "# TYPE cvmstat_halts_total counter
# HELP cvmstat_halts_total Halts in KVM (HLT with the in-kernel local APIC), each through halt polling.
cvmstat_halts_total{$vm1} 14
cvmstat_halts_total{$vm2} 0
# TYPE cvmstat_halt_poll_successes_total counter
# HELP cvmstat_halt_poll_successes_total Halts whose poll saw the wakeup (the vCPU was not scheduled out).
cvmstat_halt_poll_successes_total{$vm1} 6
cvmstat_halt_poll_successes_total{$vm2} 0
# TYPE cvmstat_halt_poll_failures_total counter
# HELP cvmstat_halt_poll_failures_total Halts that polled in vain, then scheduled the vCPU out.
cvmstat_halt_poll_failures_total{$vm1} 3
cvmstat_halt_poll_failures_total{$vm2} 0
# TYPE cvmstat_halts_not_polled_total counter
# HELP cvmstat_halts_not_polled_total Halts without a poll (poll window 0, or polling switched off by the guest).
cvmstat_halts_not_polled_total{$vm1} 5
cvmstat_halts_not_polled_total{$vm2} 0
# TYPE cvmstat_halt_polled_seconds_total counter
# HELP cvmstat_halt_polled_seconds_total Time polled before a successful wakeup.
cvmstat_halt_polled_seconds_total{$vm1} 0.000120000
cvmstat_halt_polled_seconds_total{$vm2} 0.000000000
# TYPE cvmstat_halt_poll_wasted_seconds_total counter
# HELP cvmstat_halt_poll_wasted_seconds_total Time polled in vain.
cvmstat_halt_poll_wasted_seconds_total{$vm1} 0.000600000
cvmstat_halt_poll_wasted_seconds_total{$vm2} 0.000000000
# TYPE cvmstat_halt_waited_seconds_total counter
# HELP cvmstat_halt_waited_seconds_total Time halted vCPUs were scheduled out.
cvmstat_halt_waited_seconds_total{$vm1} 0.011900000
cvmstat_halt_waited_seconds_total{$vm2} 0.000000000
# TYPE cvmstat_vm_vcpus gauge")" "${fake_hp[@]}" -- export
	same "export: no per-vCPU halt series without --per vcpu" \
		"$(env "${fake_hp[@]}" "$bin" export 2>/dev/null | grep -c cvmstat_vcpu_halt)" 0
	same "export: no halt series from a module without halt polling" \
		"$(env "${fake[@]}" "$bin" export --per vcpu 2>/dev/null | grep -c halt)" 0
	expect 0 "out~$(re "# TYPE cvmstat_vcpu_halts_total counter
# HELP cvmstat_vcpu_halts_total Halts in KVM (HLT with the in-kernel local APIC), each through halt polling. Per vCPU (the top N vCPUs per VM by halts, the rest as vcpu=\"other\").
cvmstat_vcpu_halts_total{$vm1,vcpu=\"0\"} 10
cvmstat_vcpu_halts_total{$vm1,vcpu=\"other\"} 4
cvmstat_vcpu_halts_total{$vm2,vcpu=\"0\"} 0
")(.*
)*$(re "cvmstat_vcpu_halt_waited_seconds_total{$vm1,vcpu=\"0\"} 0.004000000
cvmstat_vcpu_halt_waited_seconds_total{$vm1,vcpu=\"other\"} 0.007900000
cvmstat_vcpu_halt_waited_seconds_total{$vm2,vcpu=\"0\"} 0.000000000
# TYPE cvmstat_vm_vcpus gauge")" "${fake_hp[@]}" -- export --per vcpu --top 1
	env "${fake_hp[@]}" "$bin" export -o "$tmp/hp.prom" --per vcpu,msr --top 1
	if command -v promtool >/dev/null; then
		assert "export with halt polling: promtool check metrics" \
			promtool check metrics <"$tmp/hp.prom"
	else
		skip "export with halt polling: promtool check metrics" "promtool is not installed"
	fi
	expect 0 "out~$(re "cvmstat_msr_exits_total{$vm1,msr=\"0x80b\",dir=\"write\"} 40
cvmstat_msr_exits_total{$vm1,msr=\"0x411\",dir=\"read\"} 10
# TYPE")" "${fake[@]}" -- export --per msr
	expect 0 "out~^$" "${fake[@]}" -- export -o "$tmp/cvmstat.prom" --per vcpu,msr,mmio,pio --top 1
	same "export -o: the file, no temporary left" "$(ls "$tmp" | grep -c '^cvmstat\.prom')" 1
	same "export -o: mode 0644" "$(stat -c %a "$tmp/cvmstat.prom")" 644
	same "export -o: ends with # EOF" "$(tail -n1 "$tmp/cvmstat.prom")" "# EOF"
	if command -v promtool >/dev/null; then
		assert "export: promtool check metrics" promtool check metrics <"$tmp/cvmstat.prom"
	else
		skip "export: promtool check metrics" "promtool is not installed"
	fi
	expect 2 "err~^cvmstat: export: $(re "$tmp")/nodir/x\.prom: No such file or directory\$" \
		"${fake[@]}" -- export -o "$tmp/nodir/x.prom"
	expect 1 "err~invalid --per \`disk' \(vcpu, msr, mmio, pio\)" -- export --per vcpu,disk
	expect 1 "err~invalid --top \`0' \(1 to 1000\)" -- export --top 0
	expect 1 "err~invalid --format \`json' \(openmetrics\)" -- export --format json
	expect 1 "err~invalid --retention \`x'" -- export --retention x

	# cvmstat-read --at: a mark the module no longer holds says what to do
	env "${fake[@]}" "$top/userspace/cvmstat-read" vm 1 --at 3 >"$tmp/out" 2>"$tmp/err"
	got=$?
	same "cvmstat-read vm 1 --at 3: exit 2" "$got" 2
	same "cvmstat-read vm 1 --at 3: no output" "$(cat "$tmp/out")" ""
	assert "cvmstat-read vm 1 --at 3: one line saying what to do" \
		grep -qxE "cvmstat-read: VM 1 at mark 3: not held \(the module keeps a vCPU's counters as of its latest mark only, and only once marks were listed: start \`cvmstat record\` or run \`cvmstat-read phases\` before marking, and read each mark before the next\)" "$tmp/err"
	env "${fake[@]}" "$top/userspace/cvmstat-read" vm 1 --at 7 >"$tmp/out" 2>"$tmp/err"
	same "cvmstat-read vm 1 --at 7 (held): exit 0, 15 records" \
		"$?:$(wc -l <"$tmp/out")" "0:16"
fi

[ "$skipped" -gt 0 ] && echo "note: $skipped cases skipped (neither passed nor failed)"
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
