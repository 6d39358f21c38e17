# SPDX-License-Identifier: GPL-2.0
# The host side of a lab test, sourced by tests/lab/NAME/run (bash).
#
#   run [--prepare] [scripts/lab options]
#
# --prepare builds what the test needs (kernels, module, Debian's kernels) and
# exits without booting: scripts/check prepares every test one at a time, then
# runs them side by side. Other options go to scripts/lab (--logs, --debug, ...).
#
# A run script builds its module (lab_module), calls lab_run with the lab
# options of the test, may check the run's logs (host_check, $LAB_DIR), and
# ends with lab_finish, which prints "# NAME: PASS" or "# NAME: FAIL" and exits.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$repo/scripts/lib.sh"
test_name=${XC_TEST_NAME:-$(basename "$here")}
prepare_only=
if [ "${1:-}" = --prepare ]; then
	prepare_only=1
	shift
fi
lab_extra=("$@")
host_n=0 host_failed=0 LAB_STATUS=0 LAB_DIR=

# lab_module VARIANT: the path of xen_channel.ko built for VARIANT.
lab_module() {
	"$repo/scripts/build-module" "$1"
}

# lab_run [scripts/lab options]: boots the lab with the test's options and the
# run's own; sets LAB_STATUS and LAB_DIR (the run directory). In --prepare mode
# it builds the kernels the variant needs and exits.
lab_run() {
	local variant=hvc-off prev= a out
	for a in "$@" "${lab_extra[@]}"; do
		case $a in --kernel-variant=*) variant=${a#*=} ;; esac
		[ "$prev" != --kernel-variant ] || variant=$a
		prev=$a
	done
	if [ -n "$prepare_only" ]; then
		"$repo/scripts/debian-dom0" >/dev/null
		case $variant in
		debian | debian:*)
			"$repo/scripts/debian-kernel" "$(. "$repo/scripts/debian.d/lib.sh" && debian_variant_abi "$variant")" >/dev/null ;;
		*) "$repo/scripts/build-kernel" "$variant" >/dev/null ;;
		esac
		exit 0
	fi
	out=$(mktemp)
	LAB_STATUS=0
	"$repo/scripts/lab" "$@" "${lab_extra[@]}" | tee "$out" || LAB_STATUS=${PIPESTATUS[0]}
	LAB_DIR=$(sed -n 's/^lab| .*logs: //p' "$out" | tail -n 1)
	rm -f "$out"
}

# host_check DESC COMMAND...: a check of the run's results on the host, as a
# KTAP line prefixed "host| ".
host_check() {
	local desc=$1
	shift
	host_n=$((host_n + 1))
	if "$@"; then
		echo "host| ok $host_n $desc"
	else
		echo "host| not ok $host_n $desc"
		host_failed=$((host_failed + 1))
	fi
}

# lab_finish: the test's verdict (the lab's status and the host checks); exits.
# The host's checks end with their KTAP plan; the last line is the verdict as a
# KTAP diagnostic, for people and for grep.
lab_finish() {
	echo "host| 1..$host_n"
	if [ "$LAB_STATUS" = 0 ] && [ "$host_failed" = 0 ]; then
		echo "# $test_name: PASS"
		exit 0
	fi
	echo "# $test_name: FAIL (scripts/lab status $LAB_STATUS, $host_failed host checks failed)"
	exit 1
}
