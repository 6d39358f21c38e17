# Guest side of tests/lab/takeover (busybox sh; the module is /opt/xen_channel.ko,
# not loaded yet; CYCLES is set above). Channel a is console 1, b is console 2 (xl
# gives channel i devid i), the unnamed console 9 is hot-plugged by dom0 at
# start, the named console 8 (channel hot) once round a1 is done, after the
# module loaded.
. /lab/guest.sh
ktap_header
A=org.xen-channel.test.a
B=org.xen-channel.test.b
ok() { ktap_pass "$*"; }
bad() { ktap_fail "$*"; }
driver() { driver_of "$1"; }
live() { (exec 4<>"/dev/hvc$1") 2>/dev/null; }
waitfor() { wait_for "$@"; }
is_driver() { [ "$(driver "$1")" = "$2" ]; }
# A child that has exited (a zombie until waited for) or is gone.
ended() { ! [ -e "/proc/$1/stat" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
# Console N's channel device; forks are slow under TCG, so builtins only.
connected() { read -r st 2>/dev/null </sys/class/misc/xen-channel-$1/frontend_state && [ "$st" = Connected ]; }
diag() {
	for c in 1 2; do
		m=/sys/class/misc/xen-channel-$c
		ktap_info "console-$c: driver '$(driver $c)', frontend $(cat $m/frontend_state 2>&1)," \
			"backend $(cat $m/backend_state 2>&1), connects $(cat $m/connects 2>&1)"
	done
	dmesg | grep -E 'xen_channel|xenbus|g\.e\.' | tail -n 20 | sed 's/^/# /'
}

unload() {
	for d in /sys/bus/xen/drivers/xen-channel/console-*; do
		[ -e "$d" ] && echo "${d##*/}" >/sys/bus/xen/drivers/xen-channel/unbind
	done
	rmmod xen_channel
}

# Exchange 1 MiB each way with dom0 over channel NAME (round TAG): we say HELLO,
# dom0 answers READY, both stream, dom0 ends with "DONE <sent> <received>".
xfer() { # NAME TAG
	head -c 1048576 /dev/urandom >/tmp/$2.out
	sent=$(sha256sum </tmp/$2.out | cut -d' ' -f1)
	exec 3<>"/dev/xen-channel/$1" || { echo "FAIL: $2: cannot open $1"; return 1; }
	echo "HELLO $2" >&3
	read -r -t 120 hello <&3
	[ "$hello" = "READY $2" ] || { echo "FAIL: $2: handshake got '$hello'"; return 1; }
	timeout 120 cat /tmp/$2.out >&3 &
	w=$!
	recv=$(timeout 120 dd bs=4096 count=256 iflag=fullblock <&3 2>/dev/null | sha256sum | cut -d' ' -f1)
	wait $w || echo "FAIL: $2: writing 1 MiB failed or timed out"
	read -r -t 120 word dsent drecv <&3
	exec 3<&-
	[ "$word" = DONE ] || { echo "FAIL: $2: no DONE line from dom0"; return 1; }
	[ "$drecv" = "$sent" ] && echo "ok: $2: dom0 received our 1 MiB intact" ||
		echo "FAIL: $2: dom0 received sha256 $drecv, we sent $sent"
	[ "$dsent" = "$recv" ] && echo "ok: $2: we received dom0's 1 MiB intact" ||
		echo "FAIL: $2: we received sha256 $recv, dom0 sent $dsent"
}
xfer_checked() { # NAME TAG
	xfer "$1" "$2" >/tmp/$2.log 2>&1
	while read -r verdict desc; do
		case $verdict in
		ok:) ok "$desc" ;;
		FAIL:) bad "$desc" ;;
		*) ktap_info "$verdict $desc" ;;
		esac
	done </tmp/$2.log
	[ "$(grep -c '^ok: ' /tmp/$2.log)" = 2 ] || bad "$2: transfer checks failed"
}

# hvc ttys besides hvc0 that open.
live_ttys() { for t in 1 2 3 4 5 6 7; do live $t && printf '%s ' $t; done; }

# --- Before load: hvc_xen holds every console. Its probe races xenbus at boot
# (it writes xenstore from probe): xenbus may report a "state reset" and drop the
# console from the bus. The module must then rescue it; note it, not a failure.
waitfor 600 is_driver 9 xenconsole || bad "unnamed console-9 was not bound to hvc_xen"
lost=
for c in 1 2 9; do
	if is_driver $c xenconsole; then
		ok "before load: console-$c is bound to hvc_xen"
	elif [ $c != 9 ] && ! [ -e /sys/bus/xen/devices/console-$c ] &&
		dmesg | grep -q "console-$c: xenbus: state reset occurred"; then
		ktap_info "note: hvc_xen lost console-$c at boot (xenbus state reset); the module must rescue it"
		lost="$lost $c"
	else
		bad "before load: console-$c is bound to '$(driver $c)'"
	fi
done
ttys=$(live_ttys)
[ "$(echo $ttys | wc -w)" = $((3 - $(echo $lost | wc -w))) ] &&
	ok "before load: live hvc ttys $ttys" || bad "before load: live hvc ttys are '$ttys'"

# --- takeover=0: the module loads and leaves hvc_xen's consoles alone.
if insmod /opt/xen_channel.ko takeover=0; then
	[ "$(cat /sys/module/xen_channel/parameters/takeover)" = N ] && ok "takeover=0 reads back as N" ||
		bad "takeover parameter reads '$(cat /sys/module/xen_channel/parameters/takeover)'"
	kept=1
	for c in 1 2; do
		[ -z "$(driver $c)" ] && continue # lost at boot: no device to keep
		is_driver $c xenconsole || kept=0
	done
	[ $kept = 1 ] && [ "$(echo $(live_ttys) | wc -w)" = "$(echo $ttys | wc -w)" ] &&
		ok "takeover=0: the channels stay hvc_xen's ttys" || bad "takeover=0 still took consoles over"
	dmesg | grep -q 'takeover from hvc_xen is off' && ok "takeover=0 is logged" || bad "takeover=0 is not logged"
	rmmod xen_channel || bad "rmmod after takeover=0 failed"
else
	bad "insmod takeover=0 failed"
fi

# --- Load: the named consoles move, the unnamed one stays.
t0=$(date +%s)
insmod /opt/xen_channel.ko || bad "insmod failed"
ktap_info "insmod took $(($(date +%s) - t0)) s"
for c in 1 2; do
	waitfor 300 is_driver $c xen-channel && ok "after load: console-$c is bound to xen-channel" ||
		bad "after load: console-$c is bound to '$(driver $c)'"
done
for c in $lost; do
	dmesg | grep -q "console $c: lost by hvc_xen at boot" && ok "console-$c was rescued" ||
		bad "console-$c was lost at boot and no rescue was logged"
done
is_driver 9 xenconsole && ok "after load: unnamed console-9 stays with hvc_xen" ||
	bad "after load: console-9 is bound to '$(driver 9)'"
for c in 1 2; do
	waitfor 300 connected $c && ok "console-$c is connected" || { bad "console-$c did not connect"; diag; }
done
[ "$(cat /sys/class/misc/xen-channel-1/name)" = $A ] && [ "$(cat /sys/class/misc/xen-channel-2/name)" = $B ] &&
	ok "console-1 is $A, console-2 is $B" || bad "channel names are not as configured"
# Only console-9's tty is left; the channels' ttys fail to open (ENODEV).
ttys=$(live_ttys)
[ "$(echo $ttys | wc -w)" = 1 ] && ok "after load: one live hvc tty left (/dev/hvc${ttys% }, console-9's)" ||
	bad "after load: live hvc ttys are '$ttys', expected only console-9's"
hvc9=/dev/hvc${ttys%% *}
dmesg | grep -q "console 1: taking channel $A over from hvc_xen" && ok "dmesg names the takeover" ||
	bad "no takeover line in dmesg"

# The unnamed console still works as a tty: we say HELLO9, dom0 answers PONG9.
exec 5<>$hvc9
stty raw -echo <&5
# Until dom0 has connected to its socket QEMU holds what we write: say it again.
reply=
for t in $(seq 60); do
	echo HELLO9 >&5
	read -r -t 1 reply <&5 && break
done
exec 5<&-
if [ "$reply" = PONG9 ]; then
	ok "unnamed console-9 round trip through $hvc9"
elif [ -n "$lost" ]; then
	# hvc_xen's bug, not the module's: the console it lost at boot went back to
	# the free list with its grant still mapped by QEMU, and console 9's ring got
	# that grant reference (8 for console 1, 9 for console 2: in each of the 7
	# boots on 2026-11-30 where console 9 did not answer, in none where it did).
	# Xen reads a grant's frame only when nobody maps it yet, so QEMU maps the
	# lost console's freed page as console 9's ring, and it never answers.
	ktap_info "note: unnamed console-9 did not answer through $hvc9, in a boot where hvc_xen lost consoles"
else
	bad "unnamed console-9: got '$reply' instead of PONG9"
fi

xfer_checked $A a1
xfer_checked $B b1

# --- A named console that appears after load: hvc_xen binds it, the bus notifier
# hands it to the takeover.
H=org.xen-channel.test.hot
waitfor 600 is_driver 8 xen-channel && ok "hot-plugged console-8 was taken over" ||
	{ bad "hot-plugged console-8 is bound to '$(driver 8)'"; diag; }
dmesg | grep -q "console 8: taking channel $H over from hvc_xen" && ok "dmesg names the hot-plug takeover" ||
	bad "no takeover line for console 8 in dmesg"
waitfor 300 connected 8 || bad "console-8 did not connect"
reply=
if exec 6<>/dev/xen-channel/$H; then
	for t in $(seq 60); do
		echo HELLO8 >&6
		read -r -t 1 reply <&6 && break
	done
	exec 6<&-
fi
[ "$reply" = PONG8 ] && ok "round trip on the hot-plugged channel" || bad "console-8: got '$reply' instead of PONG8"

# --- Unload/load cycles with data in flight on channel b both ways.
good=0
i=1
while [ $i -le "$CYCLES" ]; do
	(exec 3<>/dev/xen-channel/$B && { cat <&3 >/dev/null & cat /dev/zero >&3; wait; }) 2>/dev/null &
	flood=$!
	sleep 1
	read -r rx </sys/class/misc/xen-channel-2/rx_bytes
	read -r tx </sys/class/misc/xen-channel-2/tx_bytes
	unload || bad "cycle $i: unloading failed"
	waitfor 300 ended $flood || bad "cycle $i: the flood did not end at unbind"
	wait $flood
	# Unloaded: the channels stay unbound (no hand-back to hvc_xen, no tty).
	unbound=1
	for c in 1 2; do [ -z "$(driver $c)" ] || unbound=0; done
	[ "$(live_ttys)" = "$ttys" ] || unbound=0
	insmod /opt/xen_channel.ko || bad "cycle $i: insmod failed"
	for c in 2 1; do
		waitfor 300 connected $c || { bad "cycle $i: console-$c did not reconnect"; diag; }
	done
	if [ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] && [ $unbound = 1 ]; then
		good=$((good + 1))
	else
		bad "cycle $i: rx $rx tx $tx bytes in flight, unbound after unload: $unbound"
	fi
	i=$((i + 1))
done
[ $good = "$CYCLES" ] && ok "$CYCLES cycles: data in flight, unbound after unload, reconnected after load" ||
	bad "only $good of $CYCLES cycles were clean"

xfer_checked $A a2

# Splats are the lab's check, after this script (scripts/lab.d/domu-init).
if dmesg | sed -n '/xen_channel: loading/,$p' | grep -E 'abandoned|not bound here'; then
	bad "dmesg has a failed handover since the module was loaded"
else
	ok "dmesg has no failed handover since the module was loaded"
fi
# A takeover retries ending hvc_xen's grant while QEMU's unmap is in flight; the
# grant table warns about each try that was too early.
ktap_info "takeovers: $(dmesg | grep -c 'taking channel .* over from hvc_xen')," \
	"early grant-end tries: $(dmesg | grep -c 'still in use')"

ktap_finished
