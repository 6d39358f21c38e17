# dom0 half of tests/lab/rogue-takeover: dom0 serves consoles that hvc_xen binds
# (kernel with hvc_xen built in) and, before the module takes them over, writes
# ring-refs that are not the grant hvc_xen published (review finding 1): too
# big, not a number, reserved, inside the grant table's maximum size but past
# the frames the guest set up, or changed while the backend closes. One console
# never closes, one behaves (and carries bytes after the takeover), one connects
# only once the takeover has written Closing, so that hvc_xen writes Connected
# over it (as a console hot-plugged while the module is loaded can), and QEMU's
# channel "good" is taken over as usual.
import os
import threading
import time

from peer import Ktap, Lines, connect, domid, say, wait_guest_done
from rogue import (CLOSED, CLOSING, CONNECTED, INITIALISED, INITIALISING, INITWAIT, Console, Ctl, Xs,
                   grant_table_usage, sha)

N = "org.xen-channel.rogue."
ktap = Ktap()
D = domid()
xs = Xs()
ctl = Ctl(xs, D)

ctl.wait("ready")
frames, _ = grant_table_usage(D)
frames = frames or 1
# v1 entries (8 bytes): 512 a frame. Inside the table's maximum (64 frames) but
# past the frames the guest set up, which a PV guest has not mapped.
unmapped = frames * 512 + 100
ktap.info(f"the domU's grant table has {frames} frames set up; ring-ref {unmapped} is past them")
# Devids 2 to 9: hvc_xen reads only the last digit of a devid, and QEMU's
# channel is console 1.
CASES = {
    2: ("huge", "4000000000"),
    3: ("text", "abc"),
    4: ("reserved", "5"),
    5: ("unmapped", str(unmapped)),
    6: ("changed", None),
    7: ("fine", None),
    8: ("silent", None),
    9: ("late", None),
}
LATE = 9
cons = {}
for devid, (tag, _) in CASES.items():
    cons[devid] = Console(xs, D, devid, N + tag)
    cons[devid].create()
# hvc_xen publishes its ring at probe and follows the backend to Connected; the
# late backend stays in InitWait until the takeover closes.
for devid, c in cons.items():
    if devid == LATE:
        c.be_state(INITWAIT)
        c.wait_fe(INITIALISED, 120)
    else:
        c.connect(timeout=120)
for devid, (tag, ref) in CASES.items():
    if ref is not None:
        xs.write(f"{cons[devid].fe}/ring-ref", ref)
refs = {d: (c.fe_value("ring-ref") or b"-").decode() for d, c in cons.items()}
ktap.info("hvc_xen's ring-refs: " + ", ".join(f"{d}={r}" for d, r in refs.items()))
ctl.put("consoles-ready")

result = {}


def serve(devid):
    """As QEMU would, except where the case says otherwise: on the frontend's
    Closing unmap and go Closed; then follow a reset to a new connection."""
    c = cons[devid]
    tag = CASES[devid][0]
    try:
        c.wait_fe(lambda s: s in (CLOSING, CLOSED), 300)
        if tag == "silent":
            result[devid] = "closing-ignored"
            return
        if tag == "changed":
            xs.write(f"{c.fe}/ring-ref", str(c.gref + 1))
        if tag == "late":
            # Connected only now, as if the Closing came a moment too soon: hvc_xen
            # answers with Connected, over the Closing. This backend reads the
            # frontend state only after that; the takeover must write Closing again
            # (the guest tells us when its log says so).
            c.attach()
            c.be_state(CONNECTED)
            result[devid] = "connected-after-closing"
            ctl.wait("late-closing-again", timeout=120)
            c.wait_fe(lambda s: s in (CLOSING, CLOSED), 60)
        c.detach()
        c.be_state(CLOSED)
        result[devid] = "closed"
        c.wait_fe(INITIALISING, 120)
        c.connect(timeout=120)
        data = os.urandom(65536)
        got = c.exchange(data, len(data), timeout=300)
        result[devid] = "taken-over-intact" if got == data else "taken-over-corrupt"
    except TimeoutError as e:
        result[devid] = f"{result.get(devid, 'no close')}, then timeout: {e}"


threads = [threading.Thread(target=serve, args=(d,), daemon=True) for d in cons]
for t in threads:
    t.start()

# QEMU's channel: one round trip once the guest has it under the module (what
# is in hvc_xen's ring at the takeover is lost, so not before).
good = Lines(connect("/run/xc-good.sock"))
ctl.wait("good-ready", timeout=900)
good.send("HELLO\n")
good.wait_for("PING", timeout=600)
good.send("PONG\n")

ctl.wait("takeovers-done", timeout=900)
# The guest's echo on console 7 returns once its bytes are queued, not when they
# have reached this side: wait for the thread that receives them.
for d in (7, LATE):
    threads[list(cons).index(d)].join(300)
for d, (tag, _) in CASES.items():
    say(f"# console {d} ({tag}): dom0 saw {result.get(d, 'no close')}")
ktap.check(result.get(7) == "taken-over-intact", f"fine-console-taken-over-64KiB-echoed ({result.get(7)})")
ktap.check(result.get(LATE) == "taken-over-intact",
           f"late-console-closed-again-taken-over-64KiB-echoed ({result.get(LATE)})")
for d in (2, 3, 4, 5):
    ktap.check(d not in result, f"console-{d}-{CASES[d][0]}-never-closed-by-the-takeover ({result.get(d, 'no close')})")
ctl.put("dom0-checked")
wait_guest_done()
ktap.finished()
