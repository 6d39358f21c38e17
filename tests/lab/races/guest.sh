# Guest side of tests/lab/races (busybox sh, module loaded, debug kernel: lockdep,
# KFENCE, SLUB debugging, Rust debug assertions). OPENS and RELOADS are set by the
# run script. Channel r1 is raced, r2 carries traffic beside it.
#
# Expect: OPENS open/close cycles of r1 racing with reads, writes, polls, epoll
# and O_ASYNC from ten threads (xc-races) while the shell unbinds and binds
# console r1 in a loop: no errno a channel may not return, no splat; r2's
# traffic ends only when asked. Then RELOADS module unload/load cycles with
# traffic on both channels: every traffic process ends with ENODEV or EPIPE,
# every reload comes back with both nodes. Finally r1 passes 64 KiB each way,
# byte-exact, and the kernel log has no splat (checked by the lab after this
# script).
. /lab/guest.sh
ktap_header
R1=/dev/xen-channel/org.xen-channel.test.r1
R2=/dev/xen-channel/org.xen-channel.test.r2
DRV=/sys/bus/xen/drivers/xen-channel
put() { xc-guest xs-write "data/lab/$1" "${2:-1}"; }
now_s() { read -r _up _ </proc/uptime; echo "${_up%.*}"; }
nodes() { [ -c $R1 ] && [ -c $R2 ]; }

wait_for 600 nodes || ktap_fail "nodes"
for c in $R1 $R2; do
	exec 3<>$c
	read -r h <&3
	exec 3<&-
	[ "$h" = HELLO ] || ktap_fail "hello-$c ($h)"
done
put ready
r1=$(devid_of org.xen-channel.test.r1)

# --- open/close races with unbind/bind
rm -f /tmp/stop
xc-races --traffic $R2 >/tmp/r2.out &
tp=$!
(
	i=0
	while [ ! -e /tmp/stop ]; do
		echo console-$r1 >$DRV/unbind
		usleep $((100000 + (i * 37 % 5) * 100000))
		echo console-$r1 >$DRV/bind
		usleep $((300000 + (i * 53 % 7) * 100000))
		i=$((i + 1))
	done
	echo $i >/tmp/rebinds
) &
rb=$!
t0=$(now_s)
res=$(xc-races $R1 $OPENS 3600)
rc=$?
touch /tmp/stop
wait $rb
ktap_info "$res in $(($(now_s) - t0)) s, $(cat /tmp/rebinds) unbind/bind rounds"
ktap_check "races-$OPENS-opens-nothing-unexpected" [ $rc = 0 ]
[ -e $DRV/console-$r1 ] || echo console-$r1 >$DRV/bind
wait_for 600 nodes
ktap_check "r2-traffic-still-running" kill -0 $tp
kill $tp
wait $tp
unbind_all() { for d in $DRV/console-*; do echo "${d##*/}" >$DRV/unbind; done; }

# --- unload/load cycles with traffic
t0=$(now_s) bad=0
for i in $(seq $RELOADS); do
	wait_for 600 nodes || { bad=$((bad + 1)); ktap_info "reload $i: nodes missing"; break; }
	pids=
	for c in $R1 $R2; do
		xc-races --traffic $c >>/tmp/traffic.out &
		pids="$pids $!"
	done
	usleep $((200000 + (i * 71 % 9) * 100000))
	unbind_all
	wait $pids
	rmmod xen_channel || { bad=$((bad + 1)); ktap_info "reload $i: rmmod failed"; }
	insmod /lab/xen_channel.ko || { bad=$((bad + 1)); ktap_info "reload $i: insmod failed"; }
done
wait_for 600 nodes
n=$(grep -c TRAFFIC /tmp/traffic.out)
ok=$(grep -cE "end (ENODEV|EPIPE)" /tmp/traffic.out)
ktap_info "$RELOADS reloads in $(($(now_s) - t0)) s; traffic processes: $ok of $n ended with ENODEV or EPIPE; r2 before them: $(cat /tmp/r2.out)"
grep -vE "end (ENODEV|EPIPE)" /tmp/traffic.out | head -n 5 | sed 's/^/# /'
ktap_check "reloads-$RELOADS-all-came-back ($bad failed)" [ $bad = 0 ]
ktap_check "reloads-traffic-ended-by-unbind ($ok of $n)" [ "$ok" = "$n" -a "$n" = $((RELOADS * 2)) ]

# --- r1 works: 64 KiB each way, byte-exact.
put quiesce
xc-guest xs-wait data/lab/quiet 1 300000
head -c 65536 /dev/urandom >/tmp/final.out
exec 3<>$R1
put final-sent "$(sha256sum </tmp/final.out | cut -d' ' -f1)"
{
	echo
	echo FINAL-MARKER
	cat /tmp/final.out
} >&3
exec 3<&-
ktap_info "$(xc-guest drain $R1 2000 120000 2>&1 || true)"
exec 3<>$R1
put drained
put final-recv "$(timeout 300 dd bs=4096 count=16 iflag=fullblock <&3 2>/dev/null | sha256sum | cut -d' ' -f1)"
exec 3<&-
ktap_finished
