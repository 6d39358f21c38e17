# Guest side of tests/lab/rng (busybox sh, xen_channel.ko loaded; the clients in /opt).
. /lab/guest.sh
ktap_header
R=org.xen-channel.rng.0
N=/dev/xen-channel/$R
wait_for 300 node_exists $R
# A file has the channel when the client registers: the client waits for it.
exec 3<>$N
ktap_check "insmod-while-a-file-has-the-channel" insmod /opt/xen_channel_rng.ko
ktap_check "rng-current-is-the-channel" [ "$(cat /sys/class/misc/hw_random/rng_current)" = xen-channel ]
exec 3<&-
# Now the client has it: the node refuses open, a second client is refused.
busy() { ! (exec 4<>$N) 2>/tmp/open.err && grep -qi busy /tmp/open.err; }
ktap_check "node-busy-while-the-client-holds-it" busy
ktap_check "second-client-for-the-name-refused" eval '! insmod /opt/xen_channel_panic.ko channel=$R 2>/tmp/insmod.err'
ktap_info "second client: $(cat /tmp/insmod.err)"
xc-guest xs-write data/xc/rng start
xc-guest hwrng-check /dev/hwrng 262144 42 >/tmp/check.out 2>&1
ktap_check "256KiB-from-hwrng-are-the-feeder's ($(cat /tmp/check.out))" grep -q '^OK' /tmp/check.out
# The feeder goes away: once what was in flight is read, reads wait.
xc-guest xs-write data/xc/rng stop
xc-guest xs-wait data/xc/rng-state stopped 60000
# What the feeder had sent is still queued (the channel's queue, the ring):
# away means EAGAIN for 2 s of non-blocking reads once that is read.
xc-guest drain /dev/hwrng 2000 120000 >/tmp/drain.out 2>&1
ktap_check "nonblocking-read-eagain-while-the-feeder-is-away ($(cat /tmp/drain.out))" grep -q '^DRAINED' /tmp/drain.out
timeout 3 dd if=/dev/hwrng of=/tmp/blocked bs=64 count=1 2>/dev/null
status=$?
ktap_check "blocking-read-waits-while-the-feeder-is-away (status $status, $(wc -c </tmp/blocked) bytes)" \
	eval '[ $status != 0 ] && [ ! -s /tmp/blocked ]'
xc-guest xs-write data/xc/rng start-again
xc-guest hwrng-check /dev/hwrng 65536 42 >/tmp/check.out 2>&1
ktap_check "reads-go-on-when-the-feeder-is-back ($(cat /tmp/check.out))" grep -q '^OK' /tmp/check.out
# Throughput, with the feeder on the host's generator.
xc-guest xs-write data/xc/rng urandom
xc-guest xs-wait data/xc/rng-state urandom 60000
t0=$(date +%s)
dd if=/dev/hwrng of=/dev/null bs=4096 count=256 iflag=fullblock 2>/dev/null
t=$(($(date +%s) - t0))
ktap_info "rng throughput: 1 MiB in ${t} s ($((1048576 / (t > 0 ? t : 1))) bytes/s)"
# Unbind and bind: the client is detached (nothing flows), then attached again.
id=$(devid_of $R)
echo "console-$id" >/sys/bus/xen/drivers/xen-channel/unbind
ktap_check "unbound: the node is gone" wait_for 100 eval '! node_exists $R'
xc-guest drain /dev/hwrng 2000 60000 >/tmp/drain.out 2>&1
ktap_check "unbound: reads say EAGAIN once the buffer is read ($(cat /tmp/drain.out))" grep -q '^DRAINED' /tmp/drain.out
echo "console-$id" >/sys/bus/xen/drivers/xen-channel/bind
ktap_check "bound again: the node is back" wait_for 300 node_exists $R
ktap_check "bound again: the client has the channel again" wait_for 100 busy
ktap_check "bound again: reads go on" timeout 120 dd if=/dev/hwrng of=/dev/null bs=4096 count=16 iflag=fullblock
# Unloading while /dev/hwrng is being read.
dd if=/dev/hwrng of=/dev/null bs=4096 count=1000000 2>/dev/null &
reader=$!
sleep 1
t0=$(date +%s)
ktap_check "rmmod-while-hwrng-is-read" rmmod xen_channel_rng
ktap_check "rmmod-took-under-10s ($(($(date +%s) - t0)) s)" [ $(($(date +%s) - t0)) -lt 10 ]
gone() { ! kill -0 $reader 2>/dev/null; }
ktap_check "the-reader-ended" wait_for 100 gone
# The node first: opening a missing one would create a plain file.
ktap_check "user-space-has-the-node-back" eval 'node_exists $R && (exec 4<>$N)'
ktap_finished
