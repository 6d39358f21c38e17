# Guest side of tests/lab/many-channels (busybox sh, module loaded). COUNT and
# BYTES are set by the run script. Expect: COUNT channels, each with its node
# and sysfs name; all at once, each writes BYTES of its own stream and reads
# them back through dom0's echo, byte-exact, while all the others carry theirs;
# then each passes one more small round trip.
. /lab/guest.sh
ktap_header
all_nodes() { [ "$(ls /dev/xen-channel | grep -c '^org\.xen-channel\.test\.m')" = "$COUNT" ]; }
wait_for 1800 all_nodes
n=$(ls /dev/xen-channel | grep -c '^org\.xen-channel\.test\.m')
ktap_check "nodes ($n of $COUNT)" [ "$n" = "$COUNT" ]
names=0
for d in /sys/class/misc/xen-channel-*; do
	read -r nm <"$d/name" && case $nm in org.xen-channel.test.m*) names=$((names + 1)) ;; esac
done
ktap_check "sysfs-names ($names)" [ $names = "$COUNT" ]
# dom0 speaks first on each: only then has QEMU a client on the socket.
hellos=0
for i in $(seq 1 $COUNT); do
	exec 3<>/dev/xen-channel/org.xen-channel.test.m$i
	read -r h <&3 && [ "$h" = HELLO ] && hellos=$((hellos + 1))
	exec 3<&-
done
ktap_check "hello-on-each ($hellos)" [ $hellos = "$COUNT" ]
read -r t0 _ </proc/uptime
for i in $(seq 1 $COUNT); do
	xc-guest roundtrip /dev/xen-channel/org.xen-channel.test.m$i $BYTES $i >/tmp/rt.$i 2>&1 &
done
wait
read -r t1 _ </proc/uptime
ok=$(cat /tmp/rt.* | grep -c "ROUNDTRIP ok $BYTES")
ktap_info "$COUNT channels, $BYTES bytes each way on each at once: ${t0%.*} s -> ${t1%.*} s"
grep -h bad /tmp/rt.* | head -n 5 | sed 's/^/# /'
ktap_check "all-carry-traffic-at-once-byte-exact ($ok of $COUNT)" [ "$ok" = "$COUNT" ]
ok=0
for i in $(seq 1 $COUNT); do
	xc-guest roundtrip /dev/xen-channel/org.xen-channel.test.m$i 64 $((i + 1000)) | grep -q "ok 64" && ok=$((ok + 1))
done
ktap_check "each-passes-a-round-trip-after ($ok of $COUNT)" [ $ok = "$COUNT" ]
ktap_finished
