# Guest side of tests/lab/names (busybox sh, module loaded).
. /lab/guest.sh
ktap_header
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	n=org.xen-channel.test.n$i
	ktap_check "node-$n" node_exists $n
	ktap_check "sysfs-name-$n" devid_of $n
done
top=$(for d in /sys/class/misc/xen-channel-*; do cat "$d/devid"; done | sort -n | tail -n 1)
ktap_check "devid-above-9 ($top)" [ "$top" -ge 11 ]
ktap_check "devid-10-bound" [ -e /sys/bus/xen/drivers/xen-channel/console-10 ]
ktap_check "devid-11-bound" [ -e /sys/bus/xen/drivers/xen-channel/console-11 ]
ktap_check "twelve-nodes (11 + one dup)" [ "$(ls /dev/xen-channel | wc -l)" -eq 12 ]
ktap_check "one-dup-node" node_exists dup
log=$(dmesg)
for why in 'outside' 'is . or ..' 'already used by console'; do
	ktap_check "log: $why" eval 'echo "$log" | grep -q "channel not exposed: .*$why"'
done
ktap_check "one-log-line-per-refused-console" [ "$(echo "$log" | grep -c 'channel not exposed')" -eq 4 ]
# The highest-numbered channel carries bytes both ways.
exec 3<>/dev/xen-channel/org.xen-channel.test.n11
read -r hello <&3
ktap_check "n11-hello" [ "$hello" = HELLO ]
echo "ECHO n11" >&3
read -r back <&3
ktap_check "n11-round-trip" [ "$back" = 'ECHO n11 back' ]
ktap_finished
