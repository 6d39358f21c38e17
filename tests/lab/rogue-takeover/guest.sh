# Guest side of tests/lab/rogue-takeover (busybox sh, kernel with hvc_xen built
# in, the module at /opt/xen_channel.ko, not loaded yet). Expect: consoles 2 to
# 5 (ring-ref too big, not a number, reserved, past the grant frames set up)
# stay with hvc_xen, untouched (still Connected), one "takeover abandoned" line
# each, no oops; 6 (ring-ref changed while closing) and 8 (backend never
# closes, 30 s) are abandoned closed, one line each; 9 (the backend connects
# after the takeover's Closing, hvc_xen writes Connected over it) is closed
# again, with one line; 7, 9 and QEMU's channel (1) are taken over and carry
# bytes; insmod does not wait for any of it.
. /lab/guest.sh
N=org.xen-channel.rogue.
ktap_header
put() { xc-guest xs-write "data/lab/$1" "${2:-1}"; }
now_ms() {
	read -r _up _ </proc/uptime
	echo $((${_up%.*} * 1000 + 1${_up#*.}0 - 1000))
}
is_driver() { [ "$(driver_of "$1")" = "$2" ]; }
abandoned() { dmesg | grep -cF "console $1: takeover abandoned"; }
logged() { dmesg | grep -qF "$1"; }
fe_state() { xc-guest xs-read "device/console/$1/state"; }

put ready
for d in 2 3 4 5 6 7 8 9; do
	wait_for 1200 is_driver $d xenconsole || ktap_fail "console-$d-bound-by-hvc_xen ($(driver_of $d))"
done
xc-guest xs-wait data/lab/consoles-ready 1 600000 || ktap_fail "consoles-ready"
# The late backend waits for this line before it reads the frontend state again.
AGAIN="console 9: closing again, the frontend went back to Connected"
(wait_for 3000 logged "$AGAIN" && put late-closing-again) &
again_watch=$!
t0=$(now_ms)
insmod /opt/xen_channel.ko
rc=$?
t=$(($(now_ms) - t0))
ktap_check "insmod-returns-without-waiting-for-takeovers (status $rc, $t ms)" [ $rc = 0 -a $t -lt 10000 ]
# Takeovers run one after the other: the silent backend costs 30 s.
done_all() {
	[ "$(abandoned 2)$(abandoned 3)$(abandoned 4)$(abandoned 5)$(abandoned 6)$(abandoned 8)" = 111111 ] &&
		is_driver 7 xen-channel && { is_driver 9 xen-channel || [ "$(abandoned 9)" != 0 ]; }
}
wait_for 1800 done_all
dmesg | grep -E "xen_channel|g\.e\." | sed 's/^/# /'
for d in 2 3 4 5; do
	ktap_check "console-$d-refused-one-line ($(abandoned $d))" [ "$(abandoned $d)" = 1 ]
	ktap_check "console-$d-bad-ring-ref-named" \
		logged "console $d: takeover abandoned, hvc_xen keeps the closed console: its ring-ref is not a grant reference of this domain"
	ktap_check "console-$d-stays-with-hvc_xen-connected ($(driver_of $d), state $(fe_state $d))" \
		[ "$(driver_of $d)" = xenconsole -a "$(fe_state $d)" = 4 ]
done
ktap_check "console-6-changed-ring-ref-refused ($(abandoned 6))" \
	logged "console 6: takeover abandoned, hvc_xen keeps the closed console: its ring-ref changed"
ktap_check "console-6-one-line ($(abandoned 6))" [ "$(abandoned 6)" = 1 ]
ktap_check "console-8-silent-backend-abandoned ($(abandoned 8))" \
	logged "console 8: takeover abandoned, hvc_xen keeps the closed console: the backend did not close"
ktap_check "console-7-taken-over ($(driver_of 7))" is_driver 7 xen-channel
again=$(dmesg | grep -cF "$AGAIN")
ktap_check "console-9-closed-again-one-line ($again)" [ "$again" = 1 ]
ktap_check "console-9-not-abandoned ($(abandoned 9))" [ "$(abandoned 9)" = 0 ]
ktap_check "console-9-taken-over ($(driver_of 9))" is_driver 9 xen-channel
# Echo 64 KiB for dom0 on consoles 7 and 9.
# Only once the node is there: opening a missing one would create a plain file.
for tag in fine late; do
	if wait_for 600 node_exists "${N}$tag"; then
		(exec 3<>"/dev/xen-channel/${N}$tag" && timeout 300 dd bs=65536 count=1 iflag=fullblock <&3 >&3 2>/dev/null)
		ktap_check "$tag-echoed" [ $? = 0 ]
	else
		ktap_fail "$tag-echoed (no node)"
	fi
done
# QEMU's channel: dom0 says HELLO first, we PING, it PONGs.
wait_for 600 node_exists org.xen-channel.test.good || ktap_fail "good-node"
exec 4<>/dev/xen-channel/org.xen-channel.test.good
put good-ready
read -r hello <&4
echo PING >&4
read -r pong <&4
ktap_check "good-channel-taken-over-round-trip ($hello $pong)" [ "$hello $pong" = "HELLO PONG" ]
exec 4<&-
put takeovers-done
xc-guest xs-wait data/lab/dom0-checked 1 300000
kill $again_watch 2>/dev/null
ktap_finished
