# dom0 half of tests/lab/races: both channels carry traffic all along (random
# chunks at random moments one way, everything read and dropped the other), the
# guest's resets and reloads notwithstanding (QEMU keeps the sockets). At the end
# one byte-exact exchange each way on channel r1.
import hashlib
import os
import random
import threading
import time

from peer import Ktap, Lines, connect, domid, wait_guest_done
from rogue import Ctl, Xs

ktap = Ktap()
D = domid()
xs = Xs()
ctl = Ctl(xs, D)
quiet = threading.Event()
peers = {}


def source(peer):
    while not quiet.is_set():
        try:
            peer.sock.sendall(os.urandom(random.randint(1, 16384)))
        except OSError:
            return
        time.sleep(random.random() * 0.05)


def sink(peer):
    while not quiet.is_set():
        try:
            peer.sock.settimeout(1)
            peer.sock.recv(65536)
        except OSError:
            pass


for name in ("r1", "r2"):
    peers[name] = Lines(connect(f"/run/xc-{name}.sock"))
    peers[name].send("HELLO\n")
ctl.wait("ready")
threads = [threading.Thread(target=f, args=(p,), daemon=True) for p in peers.values() for f in (source, sink)]
for t in threads:
    t.start()
ctl.wait("quiesce", timeout=7200)
quiet.set()
for t in threads:
    t.join(5)
r1 = peers["r1"]
ctl.put("quiet")
# Guest to dom0: after a marker line, 64 KiB; junk from the races comes before.
r1.sock.settimeout(300)
r1.buf = b""
try:
    while b"FINAL-MARKER\n" not in r1.buf:
        r1._fill(300)
        r1.buf = r1.buf[-(1 << 20):]
    r1.buf = r1.buf[r1.buf.index(b"FINAL-MARKER\n") + len(b"FINAL-MARKER\n"):]
    got = r1.exact(65536, timeout=300)
    ktap.check(hashlib.sha256(got).hexdigest() == ctl.wait("final-sent"), "final-guest-to-dom0-64KiB-intact")
except (OSError, EOFError, TimeoutError) as e:
    ktap.fail("final-guest-to-dom0-64KiB-intact", repr(e))
# dom0 to guest, once the guest has drained what the races left in flight.
ctl.wait("drained", timeout=300)
data = os.urandom(65536)
r1.send(data)
ktap.check(ctl.wait("final-recv", timeout=300) == hashlib.sha256(data).hexdigest(),
           "final-dom0-to-guest-64KiB-intact")
wait_guest_done()
ktap.finished()
