"""dom0 half of tests/lab/semantics: the peer that xc-semantics (guest) talks to.

usage: dom0.py MAIN-SOCKET CONTROL-SOCKET CHANNEL-NAME DOMID
"""

import socket
import subprocess
import sys
import time

main_path, ctl_path, name, domid = sys.argv[1:5]
failures = 0


def check(ok, what, why=""):
    global failures
    print(("ok " if ok else "FAIL ") + what + ("" if ok else ": " + why), flush=True)
    failures += not ok


def connect(path):
    for _ in range(300):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"FAIL cannot connect to {path}")


class Lines:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self, timeout=120):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit("FAIL peer closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line


def backend_dir():
    """The backend directory of the channel called `name`: found by name, never number."""
    base = f"/local/domain/0/backend/console/{domid}"
    for devid in subprocess.run(["xenstore-list", base], capture_output=True, text=True).stdout.split():
        got = subprocess.run(["xenstore-read", f"{base}/{devid}/name"], capture_output=True, text=True)
        if got.stdout.strip() == name:
            return f"{base}/{devid}"
    raise SystemExit(f"FAIL no backend named {name}")


main = connect(main_path)
ctl = Lines(connect(ctl_path))
peer = Lines(main)
# The guest waits for this before it writes anything.
main.sendall(b"HELLO\n")

check(peer.line() == b"PING", "got-ping")
time.sleep(1)
main.sendall(b"PONG\n")

check(peer.line() == b"FILL", "got-fill")
# Do not read until the guest reports a full ring on the control channel.
check(ctl.line(timeout=300) == b"FULL", "guest-saw-full-ring")
count, buf, marker = 0, peer.buf, b"\nCOUNT "
main.settimeout(300)
while marker not in buf:
    # Keep a marker's length back: it may be split across two reads.
    keep = len(marker) - 1
    count += max(0, len(buf) - keep)
    buf = buf[-keep:] + main.recv(1 << 20)
before, peer.buf = buf.split(marker, 1)
count += len(before)
claimed = int(peer.line())
check(count == claimed, "no-byte-lost-or-added", f"guest accepted {claimed}, dom0 got {count}")
print(f"fill: {count} bytes", flush=True)

main.sendall(b"BYE-DATA\n")
time.sleep(2)
be = backend_dir()
# A backend going away: what QEMU would say when it shuts the device down.
subprocess.run(["xenstore-write", f"{be}/state", "5"], check=True)
check(peer.line(timeout=120) == b"AGAIN", "reconnected-same-socket")
main.sendall(b"AGAIN-ACK\n")
time.sleep(2)
sys.exit(1 if failures else 0)
