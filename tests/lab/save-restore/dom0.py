# dom0 side of tests/lab/save-restore (see guest.sh for the protocol).
import os
import subprocess
import threading
import time

from peer import Ktap, Lines, connect, wait_guest_done

SR, CTL = "/run/xc-sr.sock", "/run/xc-ctl.sock"
IMAGE = "/var/lib/xen/save-restore.img"
AWAY = "/run/lab/domu-away"  # the lab must not take the domain's absence for its end
domu = os.environ["LAB_DOMU"]
ktap = Ktap()


def drain(peer, into):
    """Keeps what the old QEMU forwards until it goes away."""
    try:
        while data := peer.sock.recv(65536):
            into.append(data)
    except OSError:
        pass


def run(*argv):
    t0 = time.time()
    subprocess.run(argv, check=True)
    ktap.info(f"{' '.join(argv[:2])}: {time.time() - t0:.0f} s")


sr, ctl = Lines(connect(SR)), Lines(connect(CTL))
sr.send("HELLO\n")
ktap.check((line := sr.line()) == "line-1", "got-line-1", repr(line))
sr.send("ack line-1\n")
sr.send("sent before the save\n")
ktap.check(ctl.line() == "PENDING", "guest-has-the-pending-line")
old = [sr.buf]
reader = threading.Thread(target=drain, args=(sr, old))
reader.start()
open(AWAY, "w").close()
run("xl", "save", domu, IMAGE)
run("xl", "restore", IMAGE)
os.unlink(AWAY)
reader.join()
sr.sock.close()
ctl.sock.close()
sr, ctl = Lines(connect(SR)), Lines(connect(CTL))
sr.buf = b"".join(old) + sr.buf
ctl.send("RECONNECTED\n")
lines = []
while (line := sr.line()) != "END":
    lines.append(line)
want = [f"line-{i}" for i in range(2, 41)]
ktap.info(f"got {len(lines)} lines: {lines[:2]} .. {lines[-2:]}")
if ktap.check(lines == want, "lines-2-to-40-once-in-order",
              f"missing {[x for x in want if x not in lines]}, unexpected "
              f"{[x for x in lines if x not in want]}, {len(lines) - len(set(lines))} duplicates"):
    sr.send("got lines 1 to 40 in order\n")
else:
    sr.send("lines missing, repeated or out of order\n")
wait_guest_done()
ktap.finished()
