# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest side of lab tests (busybox sh in the domU), with the KTAP
# functions of ktap.sh. scripts/lab puts both in the domU's /lab; a guest script
# starts with ". /lab/guest.sh". Forks are slow under TCG: builtins where it counts.
. /lab/ktap.sh

# wait_for TENTHS COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails
# after TENTHS tries.
wait_for() {
	_wf_left=$1
	shift
	while ! "$@"; do
		[ "$_wf_left" -gt 0 ] || return 1
		_wf_left=$((_wf_left - 1))
		usleep 100000
	done
}

# channel_dir NAME: the sysfs directory of channel NAME's misc device.
channel_dir() {
	for _cd in /sys/class/misc/xen-channel-*; do
		[ -f "$_cd/name" ] || continue
		read -r _cn <"$_cd/name"
		[ "$_cn" = "$1" ] && { echo "$_cd"; return 0; }
	done
	return 1
}

# devid_of NAME: the console devid of channel NAME.
devid_of() {
	_dd=$(channel_dir "$1") && cat "$_dd/devid"
}

# node_exists NAME: /dev/xen-channel/NAME is a character device.
node_exists() {
	[ -c "/dev/xen-channel/$1" ]
}

# driver_of N: the driver bound to xenbus device console-N, if any.
driver_of() {
	_dr=$(readlink "/sys/bus/xen/devices/console-$1/driver" 2>/dev/null) && echo "${_dr##*/}"
}
