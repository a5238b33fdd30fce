#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cvmstat's command line, without the module: every argument-parsing and
# error path, against cvmstat(8).  Usage: test_cli.sh [BINARY] (default
# userspace/cvmstat of this tree).
#
# Every case checks three things, each one assertion:
#   - the exit status, exactly;
#   - stdout: empty on an error, else (or when out~RE is given) matching RE;
#   - stderr: empty on success; on an error exactly one line, starting
#     "cvmstat: COMMAND: " when a command was named, and for a usage error
#     (status 1) ending with "(see `cvmstat [COMMAND] --help`)"; matching
#     err~RE when given.
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

commands=(load unload status show top record phase reset)
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
		-d | --device)
			[ -z "${2-}" ] && return # a global error
			shift 2
			;;
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
#   VAR=VAL   in the environment
#   nobody    as uid/gid 65534 without groups (skipped when impossible)
#   nomodule  only when cvmstat.ko is not loaded (skipped otherwise)
# Leaves stdout in $out.
expect() {
	local code=$1 out_re='' err_re='' as='' nomod='' cmd err got label want f
	local -a env=() fails=()
	shift
	while [ "$1" != -- ]; do
		case $1 in
		out~*) out_re=${1#out~} ;;
		err~*) err_re=${1#err~} ;;
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

	if [ "$code" -eq 0 ]; then
		[ -s "$tmp/err" ] && fails+=("stderr not empty: '${err:0:200}'")
	else
		want="^cvmstat: ${cmd:+$cmd: }"
		[ "$code" -eq 1 ] && want+=".+ \(see \`cvmstat ${cmd:+$cmd }--help\`\)$"
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
	expect 1 "err~invalid --ecam \`$(re "$v")'" -- --ecam "$v" show
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
for v in xml CSV ''; do
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

[ "$skipped" -gt 0 ] && echo "note: $skipped cases skipped (neither passed nor failed)"
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
