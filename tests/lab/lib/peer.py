# SPDX-License-Identifier: GPL-2.0
"""The dom0 side of the lab tests: channel sockets, line readers, xenstore, KTAP.

scripts/lab puts this file in dom0 at /lab/lib/peer.py, on PYTHONPATH. A dom0
script finds the channels it serves by name (never by devid: xl numbers them)
and reports each check as a KTAP result line, like the guest side does with
ktap.sh.
"""

import os
import socket
import subprocess
import sys
import threading
import time

_print_lock = threading.Lock()


def say(line):
    """Prints one line at once: threads serving several channels must not interleave."""
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Ktap:
    """KTAP result lines, numbered in the order the checks finish."""

    def __init__(self):
        self.n = self.passed = self.failed = self.skipped = 0
        self._lock = threading.Lock()
        say("KTAP version 1")

    def _line(self, text):
        with self._lock:
            self.n += 1
            say(text.format(n=self.n))

    def ok(self, desc):
        self.passed += 1
        self._line("ok {n} " + desc)

    def fail(self, desc, why=""):
        self.failed += 1
        self._line("not ok {n} " + desc + (f" # {why}" if why else ""))

    def skip(self, desc, why):
        self.skipped += 1
        self._line("ok {n} " + desc + " # SKIP " + why)

    def check(self, cond, desc, why=""):
        """Passes `desc` if `cond` holds; returns `cond`."""
        (self.ok if cond else lambda d: self.fail(d, why))(desc)
        return cond

    def info(self, text):
        say("# " + text)

    def finished(self):
        """Prints the plan and totals and exits: 0 if no check failed."""
        say(f"1..{self.n}")
        say(f"# totals: pass:{self.passed} fail:{self.failed} xfail:0 xpass:0 skip:{self.skipped} error:0")
        sys.stdout.flush()
        os._exit(1 if self.failed else 0)


def wait_guest_done(timeout=1200):
    """Waits until the guest script has ended (the lab records its status).

    A dom0 script calls this before it exits: its exit closes the sockets, and
    QEMU drops what it has not yet moved from a closed socket into the ring.
    """
    deadline = time.time() + timeout
    while not os.path.exists("/run/lab/guest.rc") and time.time() < deadline:
        time.sleep(0.5)


def connect(path, timeout=300):
    """Connects to a channel's UNIX socket, waiting for QEMU to create it."""
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if time.time() > deadline:
                raise SystemExit(f"cannot connect to {path}: {e}")
            time.sleep(0.2)


class Lines:
    """Reads lines and exact byte counts from a socket, keeping what it over-reads."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("peer closed the connection")
        self.buf += data

    def line(self, timeout=300):
        """The next line, without its newline, as str."""
        while b"\n" not in self.buf:
            self._fill(timeout)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def wait_for(self, want, timeout=300):
        """Skips lines until one equals `want`."""
        while self.line(timeout) != want:
            pass

    def exact(self, count, timeout=300):
        """The next `count` bytes."""
        while len(self.buf) < count:
            self._fill(timeout)
        data, self.buf = self.buf[:count], self.buf[count:]
        return data

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)


def xs(*argv, check=True):
    """Runs a xenstore command (xenstore-read, -write, -list, ...); its stdout, stripped."""
    out = subprocess.run(argv, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {out.stderr.strip()}")
    return out.stdout.strip()


def domid():
    """The domU's id, as the lab passes it."""
    return os.environ["LAB_DOMID"]


def backend_dir(name, dom=None):
    """The QEMU backend directory of the channel called `name`."""
    base = f"/local/domain/0/backend/console/{dom or domid()}"
    for devid in xs("xenstore-list", base).split():
        if xs("xenstore-read", f"{base}/{devid}/name", check=False) == name:
            return f"{base}/{devid}"
    raise RuntimeError(f"no backend named {name}")


def frontend_dir(name, dom=None):
    """The frontend directory (device/console/N) of the channel called `name`."""
    return xs("xenstore-read", backend_dir(name, dom) + "/frontend")
