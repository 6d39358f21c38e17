# Guest side of tests/lab/rogue (busybox sh, module loaded). dom0 serves consoles
# itself (tests/lab/lib/rogue.py) and misbehaves; this side checks what the
# module made of it. Both sides meet at data/lab/KEY in xenstore. The expected
# result of each scenario is written beside its checks. STORM and CYCLES are
# set by the run script (prepended to this file).
. /lab/guest.sh
N=org.xen-channel.rogue.
GOOD=/dev/xen-channel/org.xen-channel.test.good
DRV=/sys/bus/xen/drivers/xen-channel
ktap_header

put() { xc-guest xs-write "data/lab/$1" "${2:-1}"; }
get() { xc-guest xs-read "data/lab/$1" 2>/dev/null; }
# await KEY [SECONDS]: until dom0 wrote KEY; fails at once if dom0 gave up on the
# scenario ($SCN).
await() {
	_aw=$((${2:-300} * 10))
	while ! get "$1" >/dev/null; do
		if get "abort-$SCN" >/dev/null; then
			ktap_info "dom0 gave up on $SCN: $(get "abort-$SCN")"
			return 1
		fi
		[ $_aw -gt 0 ] || return 1
		_aw=$((_aw - 1))
		usleep 100000
	done
}
attr() { _ad=$(channel_dir "$N$1") && cat "$_ad/$2"; }
state_is() { [ "$(attr "$1" state)" = "$2" ]; }
now_ms() {
	read -r _up _ </proc/uptime
	echo $((${_up%.*} * 1000 + 1${_up#*.}0 - 1000))
}
# log_lines TEXT: lines of the kernel log holding TEXT (a fixed string).
log_lines() { dmesg | grep -cF "$1"; }
free_pages() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sed -n 's/^nr_free_pages //p' /proc/vmstat
}

# QEMU's channel "good": 16 KiB round trips through dom0's echo, in the background,
# all along. Each scenario checks that some ran and none came back wrong.
good_start() {
	exec 9<>"$GOOD"
	rm -f /tmp/good.stop
	if [ -z "$GOOD_HELLO" ]; then
		# dom0 speaks first: only then has QEMU a client on the socket.
		read -r GOOD_HELLO <&9
		[ "$GOOD_HELLO" = HELLO ] || ktap_fail "good-hello ($GOOD_HELLO)"
	fi
	(
		while [ ! -e /tmp/good.stop ]; do
			head -c 16384 /dev/urandom >/tmp/good.out
			cat /tmp/good.out >&9 &
			w=$!
			if timeout 60 dd bs=16384 count=1 iflag=fullblock <&9 2>/dev/null >/tmp/good.in &&
				wait $w && cmp -s /tmp/good.out /tmp/good.in; then
				echo ok
			else
				echo bad
			fi
			usleep 200000
		done
	) >>/tmp/good.log 2>/dev/null &
	GOODPID=$!
}
good_stop() {
	touch /tmp/good.stop
	wait $GOODPID
	exec 9<&-
}
good_ok() { grep -c ok /tmp/good.log; }
good_bad() { grep -c bad /tmp/good.log; }
# good_check TAG SINCE: the good channel passed round trips since count SINCE, none bad.
good_check() {
	_gn=$(($(good_ok) - $2))
	ktap_check "$1-good-channel-unaffected ($_gn round trips, $(good_bad) bad in all)" \
		[ $_gn -gt 0 -a "$(good_bad)" = 0 ]
}
# good_wait SINCE: until one more round trip passed (at most 60 s).
good_wait() {
	_gw=600
	while [ "$(good_ok)" -le "$1" ] && [ $_gw -gt 0 ]; do usleep 100000; _gw=$((_gw - 1)); done
}

# --- ok: the harness done right. Expect: 256 KiB each way, byte-exact (dom0
# compares the hashes), state connected.
sc_ok() {
	SCN=ok
	wait_for 600 node_exists "${N}ok" || { ktap_fail "ok-node-appeared"; return; }
	head -c 262144 /dev/urandom >/tmp/ok.out
	put ok-guest-sent "$(sha256sum </tmp/ok.out | cut -d' ' -f1)"
	exec 3<>"/dev/xen-channel/${N}ok"
	cat /tmp/ok.out >&3 &
	w=$!
	recv=$(timeout 300 dd bs=4096 count=64 iflag=fullblock <&3 2>/dev/null | sha256sum | cut -d' ' -f1)
	wait $w
	ktap_check "ok-state-connected" state_is ok connected
	exec 3<&-
	put ok-guest-recv "$recv"
}

# --- bad indices: in_prod past the ring, in_prod back, out_cons past out_prod,
# out_cons back, in_prod back inside the unconsumed window. Expect for each: the
# channel goes broken with one log line; the reader and the writer sleeping in it
# get EIO; read and write get EIO; poll says HUP and ERR; the good channel keeps
# passing round trips; more lies and state changes change nothing; unbind and
# bind bring the channel back with a well-behaved backend.
sc_bad() {
	SCN=bad_indices
	await bad-connected || { ktap_fail "bad-connected"; return; }
	g0=$(good_ok)
	fd=4
	for k in bad-prod back-prod bad-cons back-cons; do
		eval "exec $fd<>/dev/xen-channel/$N$k"
		xc-guest cat -$fd >/tmp/$k.data 2>/tmp/$k.end &
		xc-guest write-stream -$fd 300000 1 >/tmp/$k.wrote 2>&1 &
		fd=$((fd + 1))
	done
	put bad-armed
	await bad-broken || { ktap_fail "bad-broken"; return; }
	fd=4
	for k in bad-prod back-prod bad-cons back-cons; do
		wait_for 300 grep -q END /tmp/$k.end
		wait_for 300 grep -q WROTE /tmp/$k.wrote
		ktap_check "$k-sleeping-reader-gets-eio ($(cat /tmp/$k.end))" grep -q "errno 5" /tmp/$k.end
		ktap_check "$k-sleeping-writer-gets-eio ($(cat /tmp/$k.wrote))" grep -q "errno 5" /tmp/$k.wrote
		p=$(xc-guest probe -$fd write)
		case $p in "READ -1 5 WRITE -1 5 POLL HUP ERR"*) r=0 ;; *) r=1 ;; esac
		ktap_check "$k-read-write-eio-poll-hup-err ($p)" [ $r = 0 ]
		ktap_check "$k-state-broken" state_is $k broken
		fd=$((fd + 1))
	done
	p=$(xc-guest probe "/dev/xen-channel/${N}back-window" write)
	case $p in "READ -1 5 WRITE -1 5 POLL HUP ERR"*) r=0 ;; *) r=1 ;; esac
	ktap_check "back-window-read-write-eio-poll-hup-err ($p)" [ $r = 0 ]
	ktap_check "back-window-state-broken" state_is back-window broken
	dmesg | grep -F "backend broke the ring" | sed 's/^/# /'
	put bad-checked
	await bad-poked || { ktap_fail "bad-poked"; return; }
	for k in bad-prod back-prod bad-cons back-cons back-window; do
		n=$(log_lines "channel $N$k: backend broke the ring")
		all=$(log_lines "channel $N$k:")
		ktap_check "$k-one-log-line ($n broke, $all about the channel)" [ "$n" = 1 -a "$all" = 1 ]
		ktap_check "$k-still-broken-after-more-lies" state_is $k broken
		ktap_check "$k-no-reconnect ($(attr $k frontend_state))" [ "$(attr $k frontend_state)" = Connected ]
	done
	good_check bad "$g0"
	for fd in 4 5 6 7; do eval "exec $fd<&-"; done
	# Unbind and bind: a new channel, and this time dom0 behaves.
	echo console-21 >$DRV/unbind
	echo console-21 >$DRV/bind
	wait_for 600 state_is bad-prod connected
	recv=$(timeout 120 dd if="/dev/xen-channel/${N}bad-prod" bs=1024 count=1 iflag=fullblock 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	ktap_check "bad-prod-rebound-connected" state_is bad-prod connected
	put bad-rebound-recv "$recv"
}

# --- storms: STORM seconds of notifications with no index moving (idle), with up
# to 64 valid bytes per event that nobody reads (progress: what a backend can
# fake), and with in_prod going back and forth (toggle); first a baseline with
# dom0 as busy but not notifying. Expect: a command answers within 1 s of how
# long it takes in the baseline (the lab's emulated CPUs are shared with dom0's
# busy loop); the good channel is unaffected; the handler ran at most once per
# notification and counted every empty event as spurious (lateeoi throttles
# them); an event counts as progress only if in_prod moved (at most once per
# move dom0 made), and the bytes produced all reach a reader; toggle breaks the
# channel with one log line.
sc_storm() {
	SCN=storms
	kind=$1
	k=storm-$kind
	await $k-connected || { ktap_fail "$k-connected"; return; }
	wait_for 300 state_is $k connected
	d=$(channel_dir "$N$k")
	e0=$(cat "$d/events") s0=$(cat "$d/spurious_events") g0=$(good_ok)
	rm -f /tmp/$k.stop
	(while [ ! -e /tmp/$k.stop ]; do echo "$(now_ms) $(cat "$d/events")"; sleep 1; done) >/tmp/$k.samples &
	sp=$!
	xc-guest responsive $(((STORM + 3) * 1000)) 250 >/tmp/$k.resp &
	rp=$!
	put $k-armed
	await $k-done $((STORM * 6 + 120)) || { ktap_fail "$k-done"; return; }
	set -- $(get $k-done)
	sent=$1 secs=$2 produced=$3 moves=$4
	wait $rp
	touch /tmp/$k.stop
	wait $sp
	good_wait "$g0"
	e1=$(cat "$d/events") s1=$(cat "$d/spurious_events")
	events=$((e1 - e0)) spurious=$((s1 - s0))
	max=$(sed -n 's/.*max_ms \([0-9]*\).*/\1/p' /tmp/$k.resp)
	ktap_info "$k: dom0 sent $sent notifications in $secs s; the handler ran $events times" \
		"($spurious spurious); slowest command ${max} ms; events by second:" \
		"$(awk 'NR > 1 { printf "%d ", $2 - p } { p = $2 }' /tmp/$k.samples)"
	good_check $k "$g0"
	if [ $kind = baseline ]; then
		BASELINE=${max:-0}
		put $k-checked
		return
	fi
	ktap_check "$k-guest-responsive (slowest command ${max:-?} ms, ${BASELINE} ms without the storm)" \
		[ "${max:-99999}" -lt $((BASELINE + 1000)) ]
	ktap_check "$k-handler-throttled ($events runs for $sent notifications)" [ $events -le $sent ]
	case $kind in
	idle)
		ktap_check "$k-all-spurious ($spurious of $events)" [ $events = $spurious ]
		ktap_check "$k-still-connected" state_is $k connected
		;;
	progress)
		ktap_check "$k-progress-only-when-in-prod-moved ($((events - spurious)) events, $moves moves)" \
			[ $((events - spurious)) -le $moves ]
		ktap_check "$k-still-connected" state_is $k connected
		got=$(timeout 60 xc-guest cat "/dev/xen-channel/$N$k" $produced 2>/dev/null | tr -d s | wc -c)
		ktap_check "$k-produced-bytes-all-read ($produced bytes, $got not 's')" [ "$got" = 0 ]
		;;
	toggle)
		n=$(log_lines "channel $N$k: backend broke the ring")
		ktap_check "$k-broken-with-one-log-line ($(attr $k state), $n)" [ "$(attr $k state)" = broken -a "$n" = 1 ]
		ktap_check "$k-all-spurious-once-broken ($((events - spurious)) showed progress)" \
			[ $((events - spurious)) -le 1 ]
		;;
	esac
	put $k-checked
}

# --- reconnects: CYCLES well-behaved reconnects (half QEMU's close and reset,
# half a new backend in InitWait under the live link). Expect: the channel works
# after them, connects counts every one, free pages and event-channel irqs stay
# where they were (dom0 checks that ring-refs are reused and Xen's count of the
# domain's grant frames and mapped grants stays put). Then a backend that keeps
# every old ring mapped. Expect: the guest stops granting after 8 such rings
# (state broken, one log line), and the rings are freed once dom0 lets go.
sc_reconnects() {
	SCN=reconnects
	await cycle-connected || { ktap_fail "cycle-connected"; return; }
	wait_for 300 state_is cycle connected
	free0=$(free_pages) irq0=$(grep -c xen-channel /proc/interrupts)
	put cycle-before
	await cycle-done $((CYCLES * 3 + 300)) || { ktap_fail "cycle-done"; return; }
	wait_for 300 state_is cycle connected
	recv=$(timeout 120 dd if="/dev/xen-channel/${N}cycle" bs=4096 count=1 iflag=fullblock 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	free1=$(free_pages) irq1=$(grep -c xen-channel /proc/interrupts)
	c=$(attr cycle connects)
	put cycle-recv "$recv"
	ktap_info "cycle: $CYCLES reconnects: free pages $free0 -> $free1, xen-channel irqs $irq0 -> $irq1"
	ktap_check "cycle-connects-counted ($c of $((CYCLES + 1)))" [ "$c" = $((CYCLES + 1)) ]
	ktap_check "cycle-pages-bounded ($((free0 - free1)) pages fewer)" [ $((free0 - free1)) -lt $((256 + CYCLES / 4)) ]
	ktap_check "cycle-irqs-bounded ($irq0 -> $irq1)" [ "$irq1" -le "$irq0" ]
	ktap_check "cycle-no-log-lines" [ "$(log_lines "channel ${N}cycle:")" = 0 ]
	await keep-refused 600 || { ktap_fail "keep-refused"; return; }
	n=$(log_lines "channel ${N}keep: the backend keeps 8 old rings mapped")
	all=$(log_lines "channel ${N}keep:")
	ktap_check "keep-gives-up-broken ($(attr keep state))" state_is keep broken
	ktap_check "keep-one-log-line ($n giving up, $all about the channel)" [ "$n" = 1 -a "$all" = 1 ]
	put keep-checked
	await keep-released || ktap_fail "keep-released"
}

# --- odd xenstore values: console 017 beside 17 (same name), 0017, 4294967296,
# and names of 3000 bytes, empty, with a NUL, with UTF-8, of 129 bytes, ".".
# Expect: each refused with one log line, not bound, no node, nothing published
# (dom0 checks ring-ref); console 17 and a console whose ring-ref and port held
# junk before the guest published work.
sc_odd() {
	SCN=odd_values
	wait_for 600 node_exists "${N}seven" && wait_for 600 node_exists "${N}junk" ||
		{ ktap_fail "odd-nodes-appeared"; return; }
	pids=
	for k in seven junk; do
		(exec 3<>"/dev/xen-channel/$N$k" && timeout 120 dd bs=1024 count=1 iflag=fullblock <&3 >&3 2>/dev/null) &
		pids="$pids $!"
	done
	await odd-created || { ktap_fail "odd-created"; return; }
	wait $pids
	for d in $(get odd-created); do
		wait_for 100 [ -e /sys/bus/xen/devices/console-$d ]
		drv=$(driver_of $d)
		n=$(dmesg | grep "xen_channel: " | grep -cE "(console $d:|device/console/$d:) channel not exposed")
		ktap_check "odd-console-$d-refused-not-bound (${drv:-no driver})" [ -z "$drv" ]
		ktap_check "odd-console-$d-no-device" [ ! -e /sys/class/misc/xen-channel-$d ]
		ktap_check "odd-console-$d-one-log-line ($n)" [ "$n" = 1 ]
	done
	dmesg | grep -E "channel not exposed|xenbus_dev_probe on device/console/(0|4294|3[1-6])" | sed 's/^/# /'
	ktap_check "odd-seven-connected" state_is seven connected
	ktap_check "odd-junk-connected" state_is junk connected
	nodes=$(ls /dev/xen-channel | grep -c "zeros\|huge-devid")
	ktap_check "odd-no-node-for-refused ($nodes)" [ "$nodes" = 0 ]
	put odd-checked
}

# --- unknown: while a reader sleeps, the backend state reads garbage, empty, 0,
# 99, -1, 7, 8 and "4 junk", then vanishes, then is Connected again. Expect: no
# end of file, no hang-up; the reader gets the 10 bytes sent afterwards.
sc_unknown() {
	SCN=unknown_state
	await unknown-connected || { ktap_fail "unknown-connected"; return; }
	wait_for 300 state_is unknown connected
	exec 3<>"/dev/xen-channel/${N}unknown"
	timeout 120 xc-guest cat -3 10 >/tmp/unknown.data 2>/tmp/unknown.end &
	rp=$!
	put unknown-reading
	wait $rp
	ktap_check "unknown-reader-no-eof ($(cat /tmp/unknown.end))" grep -q "END bytes 10 max" /tmp/unknown.end
	ktap_check "unknown-bytes-after-junk" [ "$(cat /tmp/unknown.data)" = after-junk ]
	ktap_check "unknown-still-connected" state_is unknown connected
	exec 3<&-
	put unknown-checked
}

# --- flap: random states, garbage included, while dom0 maps and keeps every ring
# the guest publishes. Expect: no oops; afterwards the channel either works again
# (dom0 reconnects honestly, 512 bytes echo) or gave up with one log line.
sc_flap() {
	SCN=flap
	wait_for 600 node_exists "${N}flap" || { ktap_fail "flap-node"; return; }
	rm -f /tmp/flap.stop
	(
		exec 3<>"/dev/xen-channel/${N}flap" || exit
		while [ ! -e /tmp/flap.stop ]; do
			n=$(dd bs=512 count=1 iflag=fullblock <&3 2>/dev/null | tee /tmp/flap.in | wc -c)
			[ "$n" = 512 ] && { cat /tmp/flap.in >&3; break; }
			usleep 200000
		done
	) &
	fp=$!
	if ! await flap-result 600; then
		ktap_fail "flap-result"
		# Unbinding ends the reader's read (ENODEV): nothing may keep the module
		# busy for the scenarios after this one.
		touch /tmp/flap.stop
		d=$(devid_of "${N}flap") && echo "console-$d" >$DRV/unbind
		wait $fp
		return
	fi
	r=$(get flap-result)
	touch /tmp/flap.stop
	wait $fp
	n=$(log_lines "channel ${N}flap: the backend keeps 8 old rings mapped")
	case $r in
	works) ktap_pass "flap-channel-works-after-flapping ($(attr flap connects) connects, $n give-up lines)" ;;
	gave-up) ktap_check "flap-gave-up-with-one-log-line ($(attr flap state), $n)" \
		[ "$(attr flap state)" = broken -a "$n" = 1 ] ;;
	*) ktap_fail "flap-result $r" ;;
	esac
	put flap-checked
}

# --- vanish: backends that stay Initialising, stay in InitWait, never close,
# never take what is queued, whose directory vanished; a device unplugged under a
# sleeping reader. Expect: the reader gets ENODEV; unbind and bind of each end
# within 10 s (remove gives a backend at most 1 s to take queued bytes and 2 s
# to close); unbinding everything and rmmod end within 60 s; insmod with these
# consoles present ends within 60 s (xenbus waits up to 30 s for channels still
# connecting); the good channel works after the reload.
sc_vanish() {
	SCN=vanish
	await vanish-ready || { ktap_fail "vanish-ready"; return; }
	ktap_info "full: $(xc-guest write-stream "/dev/xen-channel/${N}full" 70000 3 0 nonblock)"
	exec 5<>"/dev/xen-channel/${N}unplug"
	xc-guest cat -5 >/dev/null 2>/tmp/unplug.end &
	put vanish-reader
	wait_for 300 grep -q END /tmp/unplug.end
	ktap_check "vanish-unplugged-reader-gets-enodev ($(cat /tmp/unplug.end))" grep -q "errno 19" /tmp/unplug.end
	ktap_check "vanish-unplugged-node-gone" [ ! -e "/dev/xen-channel/${N}unplug" ]
	exec 5<&-
	for d in 40 41 42 43 44; do
		t0=$(now_ms)
		echo console-$d >$DRV/unbind
		t=$(($(now_ms) - t0))
		ktap_check "vanish-unbind-console-$d-bounded ($t ms)" [ $t -lt 10000 ]
	done
	for d in 40 41 42 43; do
		t0=$(now_ms)
		echo console-$d >$DRV/bind
		t=$(($(now_ms) - t0))
		ktap_check "vanish-bind-console-$d-bounded ($t ms)" [ $t -lt 10000 -a -e $DRV/console-$d ]
	done
	# With its backend's directory gone, xenbus itself refuses to bind console 44.
	echo console-44 >$DRV/bind 2>/dev/null
	ktap_check "vanish-backendless-console-44-not-bound" [ ! -e $DRV/console-44 ]
	dmesg | grep -F "did not close" | sed 's/^/# /'
	good_stop
	t0=$(now_ms)
	for d in $DRV/console-*; do echo "${d##*/}" >$DRV/unbind; done
	rmmod xen_channel
	rc=$?
	t=$(($(now_ms) - t0))
	ktap_check "vanish-unbind-all-and-rmmod-bounded (status $rc, $t ms)" [ $rc = 0 -a $t -lt 60000 ]
	t0=$(now_ms)
	insmod /lab/xen_channel.ko
	rc=$?
	t=$(($(now_ms) - t0))
	ktap_check "vanish-insmod-bounded (status $rc, $t ms)" [ $rc = 0 -a $t -lt 60000 ]
	wait_for 600 node_exists org.xen-channel.test.good
	: >/tmp/good.log
	good_start
	good_wait 0
	good_stop
	ktap_check "vanish-good-channel-after-reload ($(good_ok) round trips, $(good_bad) bad)" \
		[ "$(good_ok)" -gt 0 -a "$(good_bad)" = 0 ]
	put vanish-checked
}

# A scenario run beside others writes "pass DESC", "fail DESC" and "# ..." lines
# to a file; they are numbered once the group is done.
deferred_ktap() {
	ktap_pass() { echo "pass $*"; }
	ktap_fail() { if [ -n "${2:-}" ]; then echo "fail $1 # $2"; else echo "fail $1"; fi; }
	ktap_info() { echo "# $*"; }
}
replay() {
	while IFS= read -r _line; do
		case $_line in
		"pass "*) ktap_pass "${_line#pass }" ;;
		"fail "*) ktap_fail "${_line#fail }" ;;
		*) echo "$_line" ;;
		esac
	done <"$1"
}
scenario() {
	case $1 in
	ok) sc_ok ;;
	bad_indices) sc_bad ;;
	storms) sc_storm baseline; sc_storm idle; sc_storm progress; sc_storm toggle ;;
	reconnects) sc_reconnects ;;
	odd_values) sc_odd ;;
	unknown_state) sc_unknown ;;
	flap) sc_flap ;;
	vanish) sc_vanish ;;
	*) ktap_fail "scenario $1 unknown" ;;
	esac
}

wait_for 600 node_exists org.xen-channel.test.good || ktap_fail "good-node"
: >/tmp/good.log
good_start
put ready
# SCENARIOS: groups one after the other (","), scenarios of a group at once ("+").
for group in $(echo "$SCENARIOS" | tr , ' '); do
	case $group in
	*+*)
		pids=
		for s in $(echo "$group" | tr + ' '); do
			(deferred_ktap && ktap_info "scenario $s" && scenario $s) >/tmp/scenario.$s 2>&1 &
			pids="$pids $!"
		done
		wait $pids
		for s in $(echo "$group" | tr + ' '); do replay /tmp/scenario.$s; done
		;;
	*)
		ktap_info "scenario $group"
		scenario $group
		;;
	esac
done
[ -e /tmp/good.stop ] || good_stop
ktap_finished
