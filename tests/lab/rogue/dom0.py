# dom0 half of tests/lab/rogue: dom0 is the backend of consoles it creates for
# the domU (tests/lab/lib/rogue.py) and breaks the protocol in every way a
# backend can, while QEMU's channel "good" carries byte-exact round trips. The
# guest side (guest.sh) checks what the module made of it; both sides meet at
# keys under the domain's data/lab (xenstore, not the module under test).
import os
import random
import threading
import time

from peer import Ktap, connect, domid, say, wait_guest_done
from rogue import (CLOSED, CLOSING, CONNECTED, IN_SIZE, INITIALISED, INITIALISING, INITWAIT,
                   OUT_SIZE, Console, Ctl, ProtocolError, ThreadXs, grant_table_usage, sha)

P = dict(kv.split("=", 1) for kv in open("/lab/files/params").read().split())
STORM = float(P["STORM"])          # seconds per storm
CYCLES = int(P["CYCLES"])          # reconnect cycles of the well-behaved backend
# Scenario groups, one after the other; the scenarios of a group (joined by +)
# run at the same time, each in its own thread.
GROUPS = [g.split("+") for g in P["SCENARIOS"].split(",")]
N = "org.xen-channel.rogue."
ktap = Ktap()
D = domid()
xs = ThreadXs()
ctl = Ctl(xs, D)
random.seed(int(P.get("SEED", "13")))


# --- QEMU's channel: an echo peer for the guest's round trips ------------------

def echo():
    s = connect("/run/xc-good.sock")
    # The guest waits for this before it writes: QEMU holds bytes written before
    # its socket has a client until the guest's next notification.
    s.sendall(b"HELLO\n")
    while True:
        data = s.recv(65536)
        if not data:
            return
        s.sendall(data)


threading.Thread(target=echo, daemon=True).start()


def grant_usage():
    return grant_table_usage(D)


# --- Scenarios -------------------------------------------------------------------


def wait_until(cond, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def ok():
    """The harness done right: 256 KiB each way, byte-exact."""
    c = Console(xs, D, 20, N + "ok")
    c.create()
    c.connect()
    data = os.urandom(256 * 1024)
    got = c.exchange(data, 256 * 1024)
    ktap.check(sha(got) == ctl.wait("ok-guest-sent"), "ok-guest-to-dom0-256KiB-intact")
    ktap.check(ctl.wait("ok-guest-recv") == sha(data), "ok-dom0-to-guest-256KiB-intact")
    c.destroy()


def fill_in(c):
    """Produces into 'in' until the guest stops consuming (nobody reads: its
    receive queue is full); returns the bytes produced."""
    total, still = 0, 0
    while still < 20:
        n = c.send_some(b"w" * IN_SIZE)
        total += n
        c.notify()
        still = 0 if n else still + 1
        time.sleep(0.05)
    return total


def bad_indices():
    """Indices no correct backend produces, one kind per console."""
    kinds = [("bad-prod", 21), ("back-prod", 22), ("bad-cons", 23), ("back-cons", 24), ("back-window", 25)]
    cons = {k: Console(xs, D, devid, N + k) for k, devid in kinds}
    for c in cons.values():
        c.create()
    for c in cons.values():
        c.connect()
    ctl.put("bad-connected")
    ctl.wait("bad-armed")
    # A producer that claims more than the ring holds.
    c = cons["bad-prod"]
    c.set_index("in_prod", c.get("in_cons") + IN_SIZE + 1)
    c.notify()
    # A producer that moves back, behind what the guest consumed.
    c = cons["back-prod"]
    c.send(b"p" * 100)
    wait_until(lambda: c.get("in_cons") == c.get("in_prod"), what="back-prod drained")
    c.set_index("in_prod", c.get("in_prod") - 50)
    c.notify()
    # A consumer that passes the producer.
    c = cons["bad-cons"]
    wait_until(lambda: c.get("out_prod") > 0, what="bad-cons guest wrote")
    c.set_index("out_cons", c.get("out_prod") + 1)
    c.notify()
    # A consumer that moves back after a valid step.
    c = cons["back-cons"]
    wait_until(lambda: c.get("out_prod") - c.get("out_cons") == OUT_SIZE, what="back-cons ring full")
    c.recv(1000)
    c.notify()
    wait_until(lambda: c.get("out_prod") - c.get("out_cons") == OUT_SIZE, what="back-cons refilled")
    c.set_index("out_cons", c.get("out_cons") - 500)
    c.notify()
    # A producer that moves back inside the window the guest saw but did not
    # consume yet (nobody reads: the queue is full).
    c = cons["back-window"]
    produced = fill_in(c)
    ktap.info(f"back-window: {produced} bytes produced before the guest stopped consuming")
    c.set_index("in_prod", c.get("in_cons") + IN_SIZE // 2)
    c.notify()
    ctl.put("bad-broken")
    ctl.wait("bad-checked")
    # Go on lying, and flap the state: none of it may log again or reconnect.
    for c in cons.values():
        for _ in range(50):
            c.set_index("in_prod", random.getrandbits(32))
            c.set_index("out_cons", random.getrandbits(32))
            c.notify()
        for st in (CLOSING, CLOSED, INITWAIT, CONNECTED):
            c.be_state(st)
            time.sleep(0.05)
    ctl.put("bad-poked")
    # Recovery: the guest unbinds and binds console 21; this backend answers as
    # QEMU would (unmaps and closes when the frontend closes), then connects.
    c = cons["bad-prod"]
    c.wait_fe(lambda s: s in (CLOSING, CLOSED), 60)
    c.detach()
    c.be_state(CLOSED)
    c.wait_fe(INITIALISING, 60)
    c.connect()
    data = os.urandom(1024)
    c.send(data)
    ktap.check(ctl.wait("bad-rebound-recv") == sha(data), "bad-prod-rebound-channel-works")
    for c in cons.values():
        c.destroy()


def storm(kind, devid):
    """STORM seconds of events: no progress, one byte per event while 'in' has
    room (as much as a backend can fake), or in_prod toggling."""
    c = Console(xs, D, devid, N + "storm-" + kind)
    c.create()
    c.connect()
    ctl.put(f"storm-{kind}-connected")
    ctl.wait(f"storm-{kind}-armed")
    t0 = time.monotonic()
    n = c.storm(STORM, kind if kind != "baseline" else "spin", chunk=64)
    secs = time.monotonic() - t0
    left = (c.get("in_prod") - c.get("in_cons")) & 0xFFFFFFFF
    ctl.put(f"storm-{kind}-done", f"{n} {secs:.1f} {c.produced} {c.moves}")
    ktap.info(f"storm-{kind}: {n} notifications in {secs:.1f} s ({n / secs:.0f}/s); "
              f"{c.produced} bytes produced in {c.moves} moves of in_prod, {left} left in 'in'")
    ctl.wait(f"storm-{kind}-checked")
    c.destroy()


def storms():
    for kind, devid in (("baseline", 46), ("idle", 26), ("progress", 27), ("toggle", 28)):
        storm(kind, devid)


def reconnects():
    """CYCLES well-behaved reconnects (QEMU's close and reset, and a backend that
    starts over in InitWait), then a backend that keeps every old ring mapped."""
    c = Console(xs, D, 29, N + "cycle")
    c.create()
    c.connect()
    ctl.put("cycle-connected")
    ctl.wait("cycle-before")
    before = grant_usage()
    refs = set()
    t0 = time.monotonic()
    for i in range(CYCLES):
        if i % 2:
            c.close()              # Closing, Closed, the guest resets to Initialising
            c.connect()
        else:
            c.detach()             # a new backend: InitWait under a live link
            c.connect()
        refs.add(c.gref)
    secs = time.monotonic() - t0
    after = grant_usage()
    data = os.urandom(4096)
    c.send(data)
    ctl.put("cycle-done", f"{CYCLES}")
    ktap.check(ctl.wait("cycle-recv") == sha(data), f"cycle-works-after-{CYCLES}-reconnects")
    ktap.info(f"cycle: {CYCLES} reconnects in {secs:.0f} s; {len(refs)} distinct ring-refs used "
              f"({sorted(refs)[:8]}); Xen: domU grant frames {before[0]} -> {after[0]}, "
              f"active grant entries {before[1]} -> {after[1]}")
    ktap.check(len(refs) <= 4, f"cycle-ring-refs-reused ({len(refs)} distinct in {CYCLES} cycles)")
    ktap.check(before[0] is not None and after[0] == before[0],
               f"cycle-grant-frames-bounded ({before[0]} -> {after[0]})")
    ktap.check(after[1] is not None and after[1] <= before[1],
               f"cycle-active-grants-bounded ({before[1]} -> {after[1]})")
    c.destroy()

    # The same, keeping every old ring mapped: the guest must give up, not grant
    # a new page per cycle.
    k = Console(xs, D, 30, N + "keep")
    k.create()
    k.connect()
    base = grant_usage()
    published = 1
    refused_at = None
    for i in range(40):
        try:
            if i % 2:
                k.close(keep=True)
                k.connect(timeout=15)
            else:
                k.connect(timeout=15, keep_old=True)
            published += 1
        except TimeoutError:
            refused_at = i + 1
            break
    held = grant_usage()
    ktap.info(f"keep: {published} rings published, {len(k.held)} kept mapped; the guest refused "
              f"at reconnect {refused_at}; Xen: active grant entries {base[1]} -> {held[1]}")
    ktap.check(refused_at is not None and published <= 10,
               f"keep-guest-stops-granting ({published} rings)")
    ctl.put("keep-refused", f"{published}")
    ctl.wait("keep-checked")
    released = k.release_held()
    k.destroy()
    time.sleep(3)  # the guest's grant table retries deferred ends every second
    after = grant_usage()
    ktap.info(f"keep: released {released} mappings; Xen: active grant entries {held[1]} -> {after[1]}")
    ktap.check(after[1] is not None and held[1] is not None and after[1] <= base[1] - 1,
               f"keep-grants-freed-after-release ({held[1]} -> {after[1]})")
    ctl.put("keep-released")


def odd_values():
    """Devids with leading zeros or too big, and names that are too long, empty,
    hold a NUL or a byte outside the charset; frontend nodes with junk."""
    seven = Console(xs, D, 17, N + "seven")
    seven.create()
    seven.connect()
    bad = [("017", N + "seven"), ("0017", N + "zeros"), ("4294967296", N + "huge-devid"),
           ("31", b"n" * 3000), ("32", b""), ("33", b"bad\x00name"), ("34", b"caf\xc3\xa9"),
           ("35", b"x" * 129), ("36", b".")]
    refused = []
    for devid, name in bad:
        c = Console(xs, D, devid, name)
        c.create()
        refused.append(c)
    # Junk in the frontend's ring-ref and port before the guest publishes: the
    # guest writes its own over them.
    junk = Console(xs, D, 37, N + "junk")
    junk.create(extra={"ring-ref": "99999999999999999999", "port": "-1"})
    junk.connect()
    data = os.urandom(1024)
    got = seven.exchange(data, 1024)
    junk_got = junk.exchange(data, 1024)
    ctl.put("odd-created", " ".join(d for d, _ in bad))
    ktap.check(got == data, "odd-seven-beside-017-echoes")
    ktap.check(junk_got == data, "odd-junk-ring-ref-overwritten-and-works")
    ctl.wait("odd-checked")
    for c in refused:
        ring = c.fe_value("ring-ref")
        ktap.check(ring is None and c.fe_state() in (INITIALISING, None),
                   f"odd-console-{c.devid}-nothing-published (state {c.fe_state()}, ring-ref {ring})")
        c.destroy()
    seven.destroy()
    junk.destroy()


def unknown_state():
    """A backend state that cannot be read is no hang-up (finding 4)."""
    c = Console(xs, D, 38, N + "unknown")
    c.create()
    c.connect()
    ctl.put("unknown-connected")
    ctl.wait("unknown-reading")
    for v in (b"garbage", b"", b"0", b"99", b"-1", b"7", b"8", b"4 junk"):
        c.be_state(v)
        time.sleep(0.2)
    xs.rm(f"{c.be}/state")
    time.sleep(0.5)
    c.be_state(CONNECTED)
    time.sleep(0.5)
    c.send(b"after-junk")
    ctl.wait("unknown-checked")
    c.destroy()


def flap():
    """States flap at random, garbage included, while this backend maps every
    ring the guest publishes and keeps the old ones: afterwards the channel
    either works (after an honest reconnect) or gave up with one log line."""
    c = Console(xs, D, 39, N + "flap")
    c.create()
    c.connect()
    choices = [0, 1, 2, 3, 4, 5, 6, 7, 8, b"x", b"", b"99", b"-1", b"0x4"]
    maps = 1
    for _ in range(60):
        st = random.choice(choices)
        c.be_state(st)
        time.sleep(random.random() * 0.05)
        ref = c.fe_value("ring-ref")
        if c.fe_state() == INITIALISED and ref is not None and int(ref) != c.gref:
            try:
                c.detach(keep=True)
                c.attach()
                maps += 1
            except (OSError, ProtocolError):
                pass  # the frontend moved on meanwhile
    ktap.info(f"flap: {maps} rings mapped while flapping; {len(c.held)} kept")
    c.release_held()
    c.detach()
    # An honest backend again.
    c.be_state(CLOSED)
    try:
        c.wait_fe(lambda s: s in (INITIALISING, CLOSED), 10)
        c.wait_fe(INITIALISING, 10)
        c.connect(timeout=20)
        data = os.urandom(512)
        got = c.exchange(data, 512, timeout=60)
        ctl.put("flap-result", "works" if got == data else "corrupt")
    except (TimeoutError, OSError) as e:
        ctl.put("flap-result", "gave-up")
        ktap.info(f"flap: no reconnect ({e})")
    ctl.wait("flap-checked")
    c.destroy()


def vanish():
    """Backends that never answer: no wait in probe, remove, unload or load may
    be unbounded."""
    never_initwait = Console(xs, D, 40, N + "silent")
    never_initwait.create()
    never_connected = Console(xs, D, 41, N + "initwait")
    never_connected.create()
    never_connected.be_state(INITWAIT)
    never_closed = Console(xs, D, 42, N + "noclose")
    never_closed.create()
    never_closed.connect()
    full = Console(xs, D, 43, N + "full")
    full.create()
    full.connect()
    gone = Console(xs, D, 44, N + "gone")
    gone.create()
    gone.connect()
    xs.rm(gone.be)                    # the backend's directory vanishes
    unplug = Console(xs, D, 45, N + "unplug")
    unplug.create()
    unplug.connect()
    never_connected.wait_fe(INITIALISED, 60)
    ctl.put("vanish-ready")
    ctl.wait("vanish-reader")
    xs.rm(unplug.fe)                  # device unplugged under a sleeping reader
    xs.rm(unplug.be)
    ctl.wait("vanish-checked", timeout=900)
    # The process "vanishes" with everything still mapped: its handles close.


SCENARIOS = {f.__name__: f for f in (ok, bad_indices, storms, reconnects, odd_values, unknown_state,
                                     flap, vanish)}


def run(name):
    say(f"# scenario {name}")
    t0 = time.monotonic()
    try:
        SCENARIOS[name]()
    except Exception as e:  # noqa: BLE001 - a scenario that breaks is a failure
        ktap.fail(f"{name}-ran", repr(e)[:300])
        ctl.put(f"abort-{name}", repr(e)[:200])
    say(f"# scenario {name} took {time.monotonic() - t0:.0f} s")


ctl.wait("ready")
for group in GROUPS:
    threads = [threading.Thread(target=run, args=(name,)) for name in group]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
wait_guest_done()
ktap.finished()
