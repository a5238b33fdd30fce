#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# userspace/cvmstat.bash-completion, with and without bash-completion's
# helpers loaded: COMPREPLY for a few command lines.
set -u
export LC_ALL=C # the sort order of the expected replies
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
vmm=
trap '[ -n "$vmm" ] && kill "$vmm" 2>/dev/null; rm -rf "$tmp"' EXIT

# A process named like a VMM.
ln -s "$(command -v sleep)" "$tmp/qemu-system-x86_64"
"$tmp/qemu-system-x86_64" 60 &
vmm=$!
mkdir -p "$tmp/files/sub"
touch "$tmp/files/a.ko" "$tmp/files/b.txt" "$tmp/files/run.csv"

cases() {
	# Set COMP_* as readline does (words also break at '='), run _cvmstat,
	# print the sorted replies on one line.
	comp() {
		local line=$1 w
		COMP_LINE=$line
		COMP_POINT=${#line}
		COMP_WORDS=()
		for w in $line; do
			while [[ $w == *=* ]]; do
				[[ -n ${w%%=*} ]] && COMP_WORDS+=("${w%%=*}")
				COMP_WORDS+=("=")
				w=${w#*=}
			done
			[[ -n $w ]] && COMP_WORDS+=("$w")
		done
		[[ $line == *" " || $line == *= ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_cvmstat cvmstat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
		printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
	}
	# LINE WANT: the sorted replies, space-separated, must match the
	# pattern WANT ("*X*": contains X), or with "!" must not.
	check() {
		local got ok
		got=$(comp "$1")
		# shellcheck disable=SC2053
		case $2 in
		!*) [[ " $got " != ${2#!} ]] && ok=1 ;;
		*) [[ $got == $2 ]] && ok=1 ;;
		esac
		if [[ -n ${ok-} ]]; then
			echo "ok   $mode: '$1'"
		else
			echo "FAIL $mode: '$1': got '$got', want '$2'"
		fi
	}
	source "$top/userspace/cvmstat.bash-completion"
	cd "$tmp/files" || exit 1
	check 'cvmstat ' 'export halt-poll help latency load phase plot record reset show status summary top unload'
	check 'cvmstat s' 'show status summary'
	check 'cvmstat -' '--device --ecam --help --version -V -d -h'
	check 'cvmstat -d /dev/x st' 'status'
	check 'cvmstat --ecam ' 'off'
	check 'cvmstat --ecam=o' 'off'
	check 'cvmstat --ecam 0xe0000000 sh' 'show'
	check 'cvmstat show --' '--by --format --help --latency --top --vcpu --vm'
	check 'cvmstat show --by ' 'haltpoll mmio msr pio reason tdx vcpu vmgexit'
	check 'cvmstat show --by m' 'mmio msr'
	check 'cvmstat show --by=m' 'mmio msr'
	check 'cvmstat top ' '--format --help --vm -h -i -n'
	check 'cvmstat top --vm ' "*$vmm*"
	command -v pgrep >/dev/null && check 'cvmstat top --vm ' "!* $$ *"
	check 'cvmstat record --format ' 'csv json'
	check 'cvmstat record -o r' 'run.csv'
	check 'cvmstat record -' '-- --format --help --latency --sweep --vm -h -i -o'
	check 'cvmstat summary -' '--format --help --vcpu --vm-id -h'
	check 'cvmstat summary --format ' 'csv json text'
	check 'cvmstat summary r' 'run.csv'
	check 'cvmstat record --sweep halt_poll_ns_g' 'halt_poll_ns_grow= halt_poll_ns_grow_start='
	check 'cvmstat record --sweep halt_poll_ns=' ''
	check 'cvmstat halt-poll -' '--clear --help --restore --vm -h'
	check 'cvmstat halt-poll vm' 'vm_halt_poll_ns='
	check 'cvmstat halt-poll halt_poll_ns=' ''
	check 'cvmstat halt-poll --vm ' "*$vmm*"
	check 'cvmstat record -o x.csv -- slee' '*sleep*'
	check 'cvmstat reset -' '--all --help --vm -h'
	check 'cvmstat load --path ' 'a.ko sub'
	check 'cvmstat load max_v' 'max_vcpus= max_vms='
	check 'cvmstat load max_vms=' ''
	check 'cvmstat load -' '--help --path -h'
	check 'cvmstat phase ' ''
	check 'cvmstat help re' 'record reset'
}

out=$( (mode=plain; cases) )
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	# shellcheck source=/dev/null
	out+=$'\n'$( (mode=bash-completion; source "$bc"; cases) )
else
	out+=$'\nnote: bash-completion not installed, only the plain case ran'
fi
echo "$out"
passed=$(grep -c '^ok' <<<"$out")
failed=$(grep -c '^FAIL' <<<"$out")
echo "completion: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
