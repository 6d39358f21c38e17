# Guest side of tests/lab/panic (busybox sh, xen_channel.ko loaded).
. /lab/guest.sh
ktap_header
R=org.xen-channel.panic.0
wait_for 300 node_exists $R
ktap_check "insmod-the-panic-client" insmod /opt/xen_channel_panic.ko
connected() { [ "$(cat "$(channel_dir $R)/state")" = connected ]; }
ktap_check "the-channel-connects" wait_for 600 connected
ktap_info "$(dmesg | grep xen_channel_panic)"
# dom0 listens (QEMU drops what the guest sends while nobody does) and, in the
# stalled run, has frozen QEMU.
xc-guest xs-write data/xc/panic armed
ktap_check "dom0-is-ready" xc-guest xs-wait data/xc/panic-dom0 ready 120000
ktap_info "panicking now"
echo c >/proc/sysrq-trigger
ktap_fail "still-alive-after-the-panic"
ktap_finished
