# Guest side of tests/lab/qemu-faults (busybox sh, module loaded, debug kernel).
# Channel "up" carries guest-to-dom0 bytes, "down" dom0-to-guest, both served by
# QEMU. dom0 speaks first on each (HELLO). Expected results beside each phase.
. /lab/guest.sh
ktap_header
UP=/dev/xen-channel/org.xen-channel.test.up
DOWN=/dev/xen-channel/org.xen-channel.test.down
put() { xc-guest xs-write "data/lab/$1" "${2:-1}"; }
get() { xc-guest xs-read "data/lab/$1" 2>/dev/null; }
await() { xc-guest xs-wait "data/lab/$1" "${2:-1}" "${3:-600000}"; }
attr() { _ad=$(channel_dir "org.xen-channel.test.$1") && cat "$_ad/$2"; }
# CPU ticks (user + system) a process used.
ticks() { set -- $(cat /proc/$1/stat); echo $((${14} + ${15})); }
# Ticks of all CPUs: busy and total.
cpu_now() {
	read -r _ u n s i io irq sirq st _ </proc/stat
	echo "$((u + n + s + irq + sirq + st)) $((u + n + s + i + io + irq + sirq + st))"
}

wait_for 600 node_exists org.xen-channel.test.up && wait_for 600 node_exists org.xen-channel.test.down ||
	ktap_fail "nodes"
exec 5<>$UP 6<>$DOWN
read -r h1 <&5
read -r h2 <&6
ktap_check "hello-both ($h1 $h2)" [ "$h1 $h2" = "HELLO HELLO" ]
put ready

# --- SIGSTOP. Expect: with QEMU frozen, a non-blocking write takes what the queue
# and ring hold and then says EAGAIN; poll has no OUT; a blocking writer sleeps
# without using the CPU (at most 5 ticks in 5 s); on SIGCONT the poller gets OUT,
# the writer finishes, and dom0 receives exactly the accepted bytes, in order.
put stop-armed
await stopped
nb=$(xc-guest write-stream -5 1000000 7 0 nonblock)
set -- $nb
a=$2
ktap_check "stop-nonblocking-write-eagain ($nb)" [ "$4" = 11 -a "$a" -gt 0 ]
p=$(xc-guest probe -5)
case $p in *OUT*) r=1 ;; *) r=0 ;; esac
ktap_check "stop-poll-no-out ($p)" [ $r = 0 ]
xc-guest write-stream -5 100000 7 $a >/tmp/bw.out &
bw=$!
xc-guest poll 5 out 600000 >/tmp/poll.out &
pp=$!
sleep 1
c0=$(ticks $bw)
set -- $(cpu_now)
b0=$1 t0=$2
sleep 5
c1=$(ticks $bw)
set -- $(cpu_now)
b1=$1 t1=$2
st=$(cut -d' ' -f3 /proc/$bw/stat)
busy=$(((b1 - b0) * 100 / (t1 - t0)))
ktap_info "stop: blocking writer used $((c1 - c0)) ticks in 5 s, state $st; all CPUs $busy% busy"
ktap_check "stop-blocking-writer-sleeps ($((c1 - c0)) ticks, state $st)" [ $((c1 - c0)) -le 5 -a "$st" = S ]
ktap_check "stop-poller-still-waiting" [ ! -s /tmp/poll.out ]
ktap_check "stop-tx-queue-full ($(attr up tx_queued))" [ "$(attr up tx_queued)" -ge 65536 ]
put writers-waiting
await continued
wait $pp
ktap_check "stop-epollout-after-sigcont ($(cat /tmp/poll.out))" grep -q OUT /tmp/poll.out
wait $bw
ktap_check "stop-blocking-writer-finished ($(cat /tmp/bw.out))" grep -q "WROTE 100000 errno 0" /tmp/bw.out
put accepted $((a + 100000))
await stop-checked

# --- SIGKILL. Expect: the reader of "down" drains what arrived and then reads end
# of file once the toolstack closes the backend; every byte it read is dom0's
# stream, in order; the writer on "up" gets EPIPE; state hung-up, no oops.
await kill-go
xc-guest verify-stream -6 11 >/tmp/rd.out &
rd=$!
xc-guest write-stream -5 1000000000 13 >/tmp/wr.out &
wr=$!
put kill-running
await killed
wait $rd
wait $wr
ktap_check "kill-reader-drains-then-eof ($(cat /tmp/rd.out))" grep -q "eof" /tmp/rd.out
ktap_check "kill-writer-epipe ($(cat /tmp/wr.out))" grep -q "errno 32" /tmp/wr.out
ktap_check "kill-state-hung-up ($(attr up state) $(attr down state))" \
	[ "$(attr up state)" = hung-up -a "$(attr down state)" = hung-up ]
p=$(xc-guest probe -6)
case $p in "READ 0 0 "*HUP*) r=0 ;; *) r=1 ;; esac
ktap_check "kill-read-eof-poll-hup ($p)" [ $r = 0 ]
set -- $(cat /tmp/rd.out) $(cat /tmp/wr.out)
put kill-results "$3 $6"

# --- Re-plug. Expect: both channels connect to the new QEMU on the same open
# files: the reader reads what dom0 says now, the writer's bytes arrive.
await replugged
wait_for 600 [ "$(attr up state)" = connected ]
ktap_check "replug-connected ($(attr up state) $(attr down state), connects $(attr up connects))" \
	[ "$(attr up state)" = connected -a "$(attr down state)" = connected ]
read -r h <&6
ktap_check "replug-same-reader-reads-again ($h)" [ "$h" = HELLO ]
echo AFTER-REPLUG >&5
ktap_check "replug-same-writer-writes-again" [ $? = 0 ]
read -r h <&5
ktap_check "replug-hello-on-up ($h)" [ "$h" = HELLO ]
put replug-checked
dmesg | grep xen_channel | sed 's/^/# /'
ktap_finished
