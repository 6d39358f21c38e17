# Guest side of tests/lab/semantics (busybox sh, module loaded): the checks are
# in xc-semantics.c; the dom0 peer follows the same script (dom0.py).
. /lab/guest.sh
sem=$(devid_of org.xen-channel.test.sem)
ctl=$(devid_of org.xen-channel.test.ctl)
exec /opt/xc-semantics /dev/xen-channel/org.xen-channel.test.sem "console-$sem" \
	/dev/xen-channel/org.xen-channel.test.ctl "console-$ctl"
