# Guest side of tests/lab/e2e-channels (busybox sh, module loaded).
. /lab/guest.sh
A=org.xen-channel.test.a
B=org.xen-channel.test.b
ktap_header

for n in $A $B; do
	wait_for 300 node_exists $n
	ktap_check "node-$n is a char device" node_exists $n
done

names=$(for f in /sys/class/misc/xen-channel-*/name; do [ -f "$f" ] && { read -r n <"$f"; echo "$n"; }; done | sort | tr '\n' ' ')
ktap_check "sysfs-names: $names" [ "$names" = "$A $B " ]

console9() { [ -e /sys/bus/xen/devices/console-9 ]; }
wait_for 300 console9
ktap_check "unnamed-console-9 appeared" console9
ktap_check "unnamed-console-9 not bound to xen-channel ($(driver_of 9))" [ "$(driver_of 9)" != xen-channel ]
ktap_check "no-misc-device-for-console-9" [ ! -e /sys/class/misc/xen-channel-9 ]

# No channel is an hvc tty: hvc creates /dev/hvc0..7 up front, and a line no
# console is bound to fails with ENODEV. Only consoles left to hvc_xen (console-9,
# on a kernel with hvc_xen built in) may have a live one.
live=0
for t in 1 2 3 4 5 6 7; do (exec 4<>/dev/hvc$t) 2>/dev/null && live=$((live + 1)); done
hvc=$(ls -d /sys/bus/xen/drivers/xenconsole/console-* 2>/dev/null | wc -l)
ktap_check "live-hvc-ttys $live, one per console bound to hvc_xen ($hvc)" [ $live = $hvc ]

# 1 MiB each way over one read-write open. We say HELLO until dom0 answers
# READY (QEMU holds what we write before dom0's client connects until our next
# write), then GO, then stream. dom0 must not write first: on a kernel with
# hvc_xen built in the channel may still be hvc_xen's until the module takes it
# over. dom0 ends with "DONE <dom0-sent> <dom0-recv>" once it has all our bytes.
# Results go to a file as "pass DESC" / "fail DESC": the transfers run at once.
xfer() { # NAME TAG
	dev=/dev/xen-channel/$1
	head -c 1048576 /dev/urandom >/tmp/$2.out
	sent=$(sha256sum </tmp/$2.out | cut -d' ' -f1)
	echo "# HASH $2 guest-sent $sent"
	exec 3<>"$dev" || { echo "fail $2-open"; return; }
	hello= n=0
	while [ $n -lt 120 ]; do
		echo HELLO >&3
		read -r -t 1 hello <&3 && break
		n=$((n + 1))
	done
	[ "$hello" = READY ] || { echo "fail $2-handshake got '$hello'"; return; }
	echo GO >&3
	timeout 120 cat /tmp/$2.out >&3 &
	w=$!
	recv=$(timeout 120 dd bs=4096 count=256 iflag=fullblock <&3 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "# HASH $2 guest-recv $recv"
	wait $w && echo "pass $2-write-1MiB" || echo "fail $2-write-1MiB failed or timed out"
	read -r -t 120 word dsent drecv <&3
	echo BYE >&3 # dom0 keeps its socket open until it has this
	exec 3<&-
	[ "$word" = DONE ] || { echo "fail $2-done-line from dom0 missing"; return; }
	[ "$drecv" = "$sent" ] && echo "pass $2-dom0-received-1MiB-intact" || echo "fail $2-dom0-received-1MiB-intact"
	[ "$dsent" = "$recv" ] && echo "pass $2-guest-received-1MiB-intact" || echo "fail $2-guest-received-1MiB-intact"
}
xfer $A a >/tmp/a.log 2>&1 &
xfer $B b >/tmp/b.log 2>&1 &
wait
for tag in a b; do
	grep '^#' /tmp/$tag.log
	results=0
	while read -r verdict desc; do
		case $verdict in
		pass) ktap_pass "$desc"; results=$((results + 1)) ;;
		fail) ktap_fail "$desc" ;;
		esac
	done <"/tmp/$tag.log"
	ktap_check "$tag-all-transfer-checks-ran ($results of 3)" [ $results = 3 ]
done
ktap_finished
