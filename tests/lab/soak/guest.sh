# Guest side of tests/lab/soak (busybox sh, module loaded). NAMES and MIB are
# set by the run script. On each channel at once: MIB MiB of random bytes out
# (hashed on the way) and MIB MiB in (hashed), over one open file each. Expect:
# every hash equals dom0's (dom0 checks), and the channels end connected with
# nothing lost (rx_bytes and tx_bytes are MIB MiB each way).
. /lab/guest.sh
ktap_header
put() { xc-guest xs-write "data/lab/$1" "${2:-1}"; }
bytes=$((MIB * 1048576))
for n in $NAMES; do
	wait_for 600 node_exists org.xen-channel.test.$n || ktap_fail "node-$n"
done
fd=3
for n in $NAMES; do
	eval "exec $fd<>/dev/xen-channel/org.xen-channel.test.$n"
	eval "read -r h <&$fd"
	[ "$h" = HELLO ] || ktap_fail "hello-$n ($h)"
	mkfifo /tmp/$n.fifo
	(sha256sum </tmp/$n.fifo | cut -d' ' -f1 >/tmp/$n.sent) &
	(head -c $bytes /dev/urandom | tee /tmp/$n.fifo >&$fd) &
	(head -c $bytes <&$fd | sha256sum | cut -d' ' -f1 >/tmp/$n.recv) &
	fd=$((fd + 1))
done
read -r t0 _ </proc/uptime
put ready
wait
read -r t1 _ </proc/uptime
ktap_info "soak: guest side done in $((${t1%.*} - ${t0%.*})) s"
for n in $NAMES; do
	put $n-sent "$(cat /tmp/$n.sent)"
	put $n-recv "$(cat /tmp/$n.recv)"
	d=$(channel_dir org.xen-channel.test.$n)
	ktap_check "$n-counters ($(cat $d/rx_bytes) in, $(cat $d/tx_bytes) out, $(cat $d/state))" \
		[ "$(cat $d/rx_bytes)" = $((bytes + 6)) -a "$(cat $d/tx_bytes)" = $bytes -a "$(cat $d/state)" = connected ]
done
xc-guest xs-wait data/lab/done 1 600000
ktap_finished
