# Guest side of tests/lab/save-restore (busybox sh, module loaded). We write
# line-1 and wait for dom0's ack; dom0 sends a line we leave unread, and once
# poll says it is here we tell dom0 (control channel), which then saves and
# restores the domain while we write lines 2 to 40 (a write waits while no
# backend is connected). After the restore dom0 says RECONNECTED: our END makes
# QEMU pass on what it holds for a client that was not there, dom0 checks the
# lines and sends its verdict, and we read its line from before the save.
. /lab/guest.sh
ktap_header
dev=/dev/xen-channel/org.xen-channel.test.sr
exec 3<>$dev || { ktap_fail "open $dev"; ktap_finished; }
exec 4<>/dev/xen-channel/org.xen-channel.test.ctl || { ktap_fail "open control channel"; ktap_finished; }
read -r -t 120 hello <&3
ktap_check "handshake ($hello)" [ "$hello" = HELLO ]
echo "line-1" >&3
read -r -t 120 ack <&3
ktap_check "file-open-and-working ($ack)" [ "$ack" = "ack line-1" ]
ktap_check "pending-line-arrived" xc-guest poll 3 in 120000
echo PENDING >&4
i=2
while [ $i -le 40 ]; do echo "line-$i" >&3; i=$((i + 1)); usleep 500000; done
ktap_pass "wrote lines 1 to 40"
read -r -t 600 word <&4
ktap_check "dom0-reconnected ($word)" [ "$word" = RECONNECTED ]
echo END >&3
read -r -t 300 pending <&3
ktap_check "read dom0's line from before the save" [ "$pending" = "sent before the save" ]
read -r -t 300 verdict <&3
ktap_check "dom0: $verdict" [ "$verdict" = "got lines 1 to 40 in order" ]
for d in /sys/class/misc/xen-channel-*; do ktap_info "$(cat $d/name): connects $(cat $d/connects)"; done
ktap_finished
