# dom0 half of tests/lab/many-channels: an echo peer on every channel, each
# echoing in pieces of random size after random pauses (backpressure both ways).
import os
import random
import threading
import time

from peer import Ktap, connect, wait_guest_done

COUNT = int(open("/lab/files/count").read())
ktap = Ktap()


def echo(i, sock):
    rnd = random.Random(i)
    sock.sendall(b"HELLO\n")
    while True:
        data = sock.recv(rnd.randint(1, 32768))
        if not data:
            return
        sock.sendall(data)
        if rnd.random() < 0.3:
            time.sleep(rnd.random() * 0.05)


socks = [connect(f"/run/xc-m{i}.sock") for i in range(1, COUNT + 1)]
for i, s in enumerate(socks):
    threading.Thread(target=echo, args=(i, s), daemon=True).start()
ktap.check(len(socks) == COUNT, f"echo-peers-connected ({len(socks)} of {COUNT} sockets)")
wait_guest_done(timeout=3600)
ktap.finished()
