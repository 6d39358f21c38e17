# Guest side of tests/lab/early-open (busybox sh; the module is /opt/xen_channel.ko,
# not loaded yet). Each reader tells dom0 through xenstore (data/xc/<chan>) once
# it has the node open; dom0 sends its line only once that channel is Connected,
# and a few seconds later.
. /lab/guest.sh
ktap_header
A=org.xen-channel.test.early-a
B=org.xen-channel.test.early-b
xc-guest first-read /dev/xen-channel/$A 300000 data/xc/a 0 >/tmp/a.out 2>&1 &
reader=$!
xc-guest epoll-wait /dev/xen-channel/$B 300000 data/xc/b 0 >/tmp/b.out 2>&1 &
poller=$!
insmod /opt/xen_channel.ko || ktap_fail "insmod"
wait $reader
ktap_check "first-read-at-load returns dom0's data ($(cat /tmp/a.out))" grep -q '^DATA .* round-0$' /tmp/a.out
wait $poller
read -r word wakeups hup hups data n </tmp/b.out
ktap_info "epoll while connecting: $(cat /tmp/b.out)"
# A loop that polls a connecting channel must sleep until the data: no HUP.
quiet_epoll() { [ "$word" = WAKEUPS ] && [ "$wakeups" -le 3 ] && [ "$hups" = 0 ] && [ "$n" -gt 0 ]; }
ktap_check "epoll-at-load wakes for the data only (${wakeups:-?} wakeups, ${hups:-?} with HUP)" quiet_epoll
for round in 1 2 3; do
	id=$(devid_of $A)
	echo "console-$id" >/sys/bus/xen/drivers/xen-channel/unbind || ktap_fail "round $round: unbind"
	xc-guest first-read /dev/xen-channel/$A 300000 data/xc/a $round >/tmp/a.out 2>&1 &
	reader=$!
	echo "console-$id" >/sys/bus/xen/drivers/xen-channel/bind || ktap_fail "round $round: bind"
	wait $reader
	ktap_check "first-read-after-rebind $round returns dom0's data ($(cat /tmp/a.out))" \
		grep -q "^DATA .* round-$round\$" /tmp/a.out
done
ktap_finished
