# Guest side of tests/lab/udev (busybox sh, module loaded). The run script puts
# a line VENDOR_RULES=<the Makefile's UDEV_RULES_DIR> in front of this file; /opt
# holds udev-root.tar.gz (scripts/fetch-udev) and the repository's
# 60-xen-channel.rules.
. /lab/guest.sh
ktap_header
AGENT=org.xen-channel.test.agent # given to a service by the administrator's rule
OTHER=org.xen-channel.test.other # no rule of its own
ok() { ktap_pass "$*"; }
bad() { ktap_fail "$*"; }
perm() { stat -c '%F %a %u:%g' "$1" 2>&1; }
expect_perm() { # NODE WANT WHAT
	got=$(perm "$1")
	if [ "$got" = "$2" ]; then ok "$3: $1 is $got"; else bad "$3: $1 is '$got', expected '$2'"; fi
}
CHR='character special file'

for n in $AGENT $OTHER; do wait_for 300 node_exists $n; done

# 1. What the kernel creates, with no udev at all: devtmpfs, root:root 0600.
if grep -q '^devtmpfs /dev devtmpfs ' /proc/mounts; then ok "/dev is devtmpfs, no udev running"
else bad "/dev is not devtmpfs"; fi
for n in $AGENT $OTHER; do expect_perm /dev/xen-channel/$n "$CHR 600 0:0" "devtmpfs"; done

# 2. Bookworm's udev, unpacked into a merged-/usr layout like Debian's. The shipped
# rule goes where `make install` puts it; udev 252 reads /usr/lib/udev/rules.d, which
# is the same directory on a merged-/usr system. The administrator's rule is the
# example the shipped rule documents, with a test channel and a test user.
tar -xzf /opt/udev-root.tar.gz -C / || bad "cannot unpack udev"
ln -s usr/lib /lib
ln -s usr/lib64 /lib64
mkdir -p /etc/udev/rules.d "$VENDOR_RULES"
cp /opt/60-xen-channel.rules "$VENDOR_RULES/"
cat >/etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
xc-agent:x:990:990:channel test service:/nonexistent:/bin/false
EOF
printf 'root:x:0:\nxc-agent:x:990:\n' >/etc/group
printf 'passwd: files\ngroup: files\n' >/etc/nsswitch.conf
admin=/etc/udev/rules.d/61-xen-channel-local.rules
sed -n 's/^#   \(.*"org\.qemu\.guest_agent\.0".*\)/\1/p' /opt/60-xen-channel.rules |
	sed "s/org\.qemu\.guest_agent\.0/$AGENT/; s/qemu-ga/xc-agent/g" >$admin
grep -q "$AGENT" $admin || bad "no org.qemu.guest_agent.0 example in 60-xen-channel.rules"
ktap_info "udev $(udevadm --version); shipped rule $VENDOR_RULES/60-xen-channel.rules; $admin:"
sed 's/^/#   /' $admin

SYSTEMD_LOG_TARGET=console /usr/lib/systemd/systemd-udevd --debug >/tmp/udevd.log 2>&1 &
i=0
until udevadm control --ping 2>/dev/null || [ $i -ge 20 ]; do sleep 1; i=$((i + 1)); done
udevadm control --ping 2>/dev/null && ok "systemd-udevd is running" || bad "systemd-udevd did not start"

# 2a. Coldplug, as at boot when the module loaded before udevd.
udevadm trigger --action=add --subsystem-match=misc --sysname-match='xen-channel-*'
udevadm settle --timeout=60
expect_perm /dev/xen-channel/$AGENT "$CHR 660 990:990" "udev coldplug, administrator's rule"
expect_perm /dev/xen-channel/$OTHER "$CHR 600 0:0" "udev coldplug, other channel untouched"
ls -l /dev/xen-channel/ | sed 's/^/#   /'
for n in $AGENT $OTHER; do
	info=$(udevadm info /dev/xen-channel/$n 2>&1)
	echo "$info" | grep -E '^(N|S|E: (DEVNAME|DEVLINKS|XEN_CHANNEL_NAME))' | sed "s/^/#   udevadm info $n: /"
	if echo "$info" | grep -qx "E: XEN_CHANNEL_NAME=$n"; then ok "shipped rule: $n has XEN_CHANNEL_NAME=$n"
	else bad "shipped rule: no XEN_CHANNEL_NAME=$n on $n"; fi
	if echo "$info" | grep -qx "N: xen-channel/$n"; then ok "udev's node for $n is /dev/xen-channel/$n"
	else bad "udev's node for $n is not /dev/xen-channel/$n"; fi
done

# 2b. The kernel's own ADD uevent: unbind and bind the agent channel while udevd
# runs. devtmpfs makes a new root:root 0600 node; udev must give it away again.
id=$(devid_of $AGENT)
echo "console-$id" >/sys/bus/xen/drivers/xen-channel/unbind || bad "unbind console-$id failed"
i=0
while [ -e /dev/xen-channel/$AGENT ] && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done
[ -e /dev/xen-channel/$AGENT ] && bad "/dev/xen-channel/$AGENT still exists after unbind"
echo "console-$id" >/sys/bus/xen/drivers/xen-channel/bind || bad "bind console-$id failed"
i=0
while [ $i -lt 20 ]; do
	udevadm settle --timeout=30
	[ "$(perm /dev/xen-channel/$AGENT)" = "$CHR 660 990:990" ] && break
	sleep 1; i=$((i + 1))
done
expect_perm /dev/xen-channel/$AGENT "$CHR 660 990:990" "udev on the kernel's ADD after rebind"
expect_perm /dev/xen-channel/$OTHER "$CHR 600 0:0" "other channel still untouched"
grep -E "(Setting|Preserve) permissions|^xen-channel-$id: Device processed .*ACTION=add" /tmp/udevd.log |
	sed 's/^/#   udevd: /'

# 3. Local rules cannot move a channel's node: udev 252 refuses NAME= for anything
# but a network interface and refuses to set DEVNAME, so DEVNAME stays the kernel's
# /dev/xen-channel/<name> and no link is needed to keep that path. (A line whose
# only assignment is NAME= is not even evaluated for a device node: the ENV
# assignment makes udev run it, and shows that it matched.)
cat >/etc/udev/rules.d/59-local-move.rules <<'EOF'
SUBSYSTEM=="misc", KERNEL=="xen-channel-*", ENV{XC_MOVE_TRIED}="1", NAME="moved/%k"
SUBSYSTEM=="misc", KERNEL=="xen-channel-*", ENV{DEVNAME}="/dev/moved/%k"
EOF
oid=$(devid_of $OTHER)
udevadm test --action=add /sys/class/misc/xen-channel-$oid >/tmp/test.out 2>&1 || bad "udevadm test failed"
rm /etc/udev/rules.d/59-local-move.rules
grep -E 'rules\.d/(59|60|61)-|^(DEVNAME|DEVLINKS|XEN_CHANNEL_NAME|XC_MOVE_TRIED)=' /tmp/test.out | sed 's/^/#   udevadm test: /'
grep -q "Reading rules file: .*/60-xen-channel.rules" /tmp/test.out &&
	ok "udev read the shipped rule" || bad "udev did not read the shipped rule"
# Load-time messages name the file without a device prefix.
if grep -E '^/[^ ]*/(60-xen-channel|61-xen-channel-local)\.rules:[0-9]+[: ]' /tmp/test.out; then
	bad "udev reports problems in the shipped or the administrator's rules"
else
	ok "udev reports no problem in the shipped or the administrator's rules"
fi
grep -qx "XC_MOVE_TRIED=1" /tmp/test.out &&
	ok "the moving rule matched $OTHER" || bad "the moving rule did not match"
grep -q "Only network interfaces can be renamed, ignoring NAME=" /tmp/test.out &&
	ok "udev refused NAME= for a channel" || bad "udev did not refuse NAME="
grep -q "'DEVNAME' cannot be set" /tmp/test.out &&
	ok "udev refused to set DEVNAME" || bad "udev did not refuse ENV{DEVNAME}"
grep -qx "DEVNAME=/dev/xen-channel/$OTHER" /tmp/test.out &&
	ok "DEVNAME stays /dev/xen-channel/$OTHER" || bad "DEVNAME is not /dev/xen-channel/$OTHER"
if [ -c /dev/xen-channel/$OTHER ] && ! [ -e /dev/moved ]; then ok "the node did not move"
else bad "the node moved"; ls -lR /dev/moved 2>&1; fi

udevadm control --exit
if [ "$KTAP_FAIL" != 0 ]; then
	ktap_info "udevd log (xen-channel lines):"
	grep -E 'xen-channel|rules' /tmp/udevd.log | tail -n 40 | sed 's/^/#   udevd: /'
fi
ktap_finished
