# SPDX-License-Identifier: GPL-2.0
# KTAP results for the lab's shell scripts (busybox sh in the domU, bash in dom0
# and on the host), after tools/testing/selftests/kselftest/ktap_helpers.sh.
# Sourced, never run. scripts/lab puts a copy at /lab/ktap.sh in the domU and
# at /lab/lib/ktap.sh in dom0.
#
#   ktap_header                 "KTAP version 1"
#   ktap_pass DESC              "ok N DESC"
#   ktap_fail DESC [WHY]        "not ok N DESC # WHY"
#   ktap_skip DESC WHY          "ok N DESC # SKIP WHY"
#   ktap_check DESC CMD...      pass if CMD succeeds, else fail
#   ktap_info TEXT              "# TEXT" (diagnostics)
#   ktap_finished               plan, totals, exit 0 if nothing failed (else 1)
# A description is one line of words; the first word names the check.

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0

ktap_header() {
	echo "KTAP version 1"
}

ktap_pass() {
	KTAP_N=$((KTAP_N + 1)) KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $*"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1)) KTAP_FAIL=$((KTAP_FAIL + 1))
	if [ -n "${2:-}" ]; then echo "not ok $KTAP_N $1 # $2"; else echo "not ok $KTAP_N $1"; fi
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1)) KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP ${2:-}"
}

ktap_check() {
	_ktap_desc=$1
	shift
	if "$@"; then ktap_pass "$_ktap_desc"; else ktap_fail "$_ktap_desc"; fi
}

ktap_info() {
	echo "# $*"
}

ktap_finished() {
	echo "1..$KTAP_N"
	echo "# totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	[ "$KTAP_FAIL" = 0 ] && exit 0
	exit 1
}
