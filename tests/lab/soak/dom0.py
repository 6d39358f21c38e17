# dom0 half of tests/lab/soak: on each channel a sender and a receiver that move
# MIB MiB each way in pieces of random size with pauses of random length, so
# that the ring and the queues run full and empty over and over, both ways.
# Each side hashes what it sent and received; the hashes meet in xenstore.
import hashlib
import os
import random
import threading
import time

from peer import Ktap, Lines, connect, domid, say, wait_guest_done
from rogue import Ctl, Xs

P = dict(kv.split("=", 1) for kv in open("/lab/files/params").read().split())
NAMES = P["NAMES"].split(",")
TOTAL = int(P["MIB"]) << 20
ktap = Ktap()
D = domid()
xs = Xs()
ctl = Ctl(xs, D)
result = {}


def pause(rnd):
    # Mostly flat out, sometimes slow, now and then a stop long enough for
    # every queue on the way to fill.
    r = rnd.random()
    if r < 0.6:
        return
    time.sleep(rnd.random() * (0.02 if r < 0.95 else 0.5))


def send(name, sock):
    rnd = random.Random(name + "s")
    h = hashlib.sha256()
    left = TOTAL
    while left:
        data = os.urandom(min(left, rnd.randint(1, 65536)))
        sock.sendall(data)
        h.update(data)
        left -= len(data)
        pause(rnd)
    result[name + "-sent"] = h.hexdigest()


def recv(name, sock):
    rnd = random.Random(name + "r")
    h = hashlib.sha256()
    left = TOTAL
    while left:
        data = sock.recv(min(left, rnd.randint(1, 65536)))
        if not data:
            raise EOFError(f"{name}: end of stream with {left} bytes to go")
        h.update(data)
        left -= len(data)
        pause(rnd)
    result[name + "-recv"] = h.hexdigest()


peers = {}
for n in NAMES:
    peers[n] = Lines(connect(f"/run/xc-{n}.sock"))
    peers[n].send("HELLO\n")
ctl.wait("ready")
t0 = time.monotonic()
threads = [threading.Thread(target=f, args=(n, peers[n].sock)) for n in NAMES for f in (send, recv)]
for t in threads:
    t.start()
for t in threads:
    t.join()
secs = time.monotonic() - t0
say(f"# soak: {len(NAMES)} channels x {TOTAL >> 20} MiB each way in {secs:.0f} s "
    f"({2 * len(NAMES) * TOTAL / secs / 1024:.0f} KiB/s in all)")
for n in NAMES:
    ktap.check(ctl.wait(f"{n}-recv", timeout=600) == result.get(n + "-sent"), f"{n}-dom0-to-guest-sha256-equal")
    ktap.check(ctl.wait(f"{n}-sent", timeout=600) == result.get(n + "-recv"), f"{n}-guest-to-dom0-sha256-equal")
ctl.put("done")
wait_guest_done()
ktap.finished()
