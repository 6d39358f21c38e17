# SPDX-License-Identifier: GPL-2.0
"""A rogue console backend for the lab: dom0 serves a channel itself, and lies.

The backend of a channel (QEMU in dom0, or a driver domain) and everything in
xenstore are untrusted. This module lets a dom0 script *be* the backend of a
console it creates for the domU, without QEMU, through Xen's own interfaces:
libxenstore for xenstore, libxengnttab (/dev/xen/gntdev) to map the ring page the
guest grants, libxenevtchn (/dev/xen/evtchn) for the event channel. It speaks the
xencons protocol correctly (so that the same test proves the harness), and on
command it misbehaves: any index value at any moment, indices that move back,
event storms with or without progress, xenbus states that flap (Unknown and
garbage included), odd xenstore values, old rings kept mapped across reconnects,
and a backend that vanishes.

The backend directory has a type QEMU does not watch (backend/rogue/D/N, QEMU
serves backend/console/D), so QEMU never touches these consoles.

    from rogue import Xs, Console
    xs = Xs()
    con = Console(xs, domid, 20, name="org.xen-channel.rogue.a")
    con.create()             # frontend device/console/20 appears in the guest
    con.connect()            # InitWait -> map ring, bind port -> Connected
    con.send(b"hello")       # produce into 'in', notify
    data = con.recv(5)       # consume from 'out'
    con.set_index("in_prod", con.in_cons + 5000)   # lie
    con.notify()

Run as a program for a hand-made session (python3 rogue.py --help).

Only the Python standard library and the Xen 4.17 libraries dom0 already has.
"""

import ctypes
import hashlib
import os
import select
import sys
import time

# --- Xen libraries -----------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.free.argtypes = [ctypes.c_void_p]


def _lib(name, funcs):
    lib = ctypes.CDLL(name, use_errno=True)
    for fname, restype, argtypes in funcs:
        f = getattr(lib, fname)
        f.restype, f.argtypes = restype, argtypes
    return lib


_P, _U32, _UINT, _INT, _BOOL, _S = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint,
                                    ctypes.c_int, ctypes.c_bool, ctypes.c_char_p)


class _XsPerm(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint), ("perms", ctypes.c_int)]


XS_PERM_NONE, XS_PERM_READ, XS_PERM_WRITE = 0, 1, 2

_xs = _lib("libxenstore.so.4", [
    ("xs_open", _P, [ctypes.c_ulong]),
    ("xs_close", None, [_P]),
    ("xs_read", _P, [_P, _U32, _S, ctypes.POINTER(_UINT)]),
    ("xs_write", _BOOL, [_P, _U32, _S, _P, _UINT]),
    ("xs_rm", _BOOL, [_P, _U32, _S]),
    ("xs_directory", _P, [_P, _U32, _S, ctypes.POINTER(_UINT)]),
    ("xs_set_permissions", _BOOL, [_P, _U32, _S, ctypes.POINTER(_XsPerm), _UINT]),
    ("xs_transaction_start", _U32, [_P]),
    ("xs_transaction_end", _BOOL, [_P, _U32, _BOOL]),
    ("xs_watch", _BOOL, [_P, _S, _S]),
    ("xs_unwatch", _BOOL, [_P, _S, _S]),
    ("xs_fileno", _INT, [_P]),
    ("xs_check_watch", _P, [_P]),
])
_gt = _lib("libxengnttab.so.1", [
    ("xengnttab_open", _P, [_P, _UINT]),
    ("xengnttab_close", _INT, [_P]),
    ("xengnttab_map_grant_ref", _P, [_P, _U32, _U32, _INT]),
    ("xengnttab_unmap", _INT, [_P, _P, _U32]),
])
_ev = _lib("libxenevtchn.so.1", [
    ("xenevtchn_open", _P, [_P, _UINT]),
    ("xenevtchn_close", _INT, [_P]),
    ("xenevtchn_fd", _INT, [_P]),
    ("xenevtchn_bind_interdomain", _INT, [_P, _U32, _U32]),
    ("xenevtchn_unbind", _INT, [_P, _U32]),
    ("xenevtchn_notify", _INT, [_P, _U32]),
    ("xenevtchn_pending", _INT, [_P]),
    ("xenevtchn_unmask", _INT, [_P, _U32]),
])

PROT_READ, PROT_WRITE = 1, 2


def _err(what):
    e = ctypes.get_errno()
    return OSError(e, f"{what}: {os.strerror(e)}")


def _b(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()


class Xs:
    """A xenstore connection (libxenstore). One per thread."""

    def __init__(self):
        self.h = _xs.xs_open(0)
        if not self.h:
            raise _err("xs_open")
        self._watches = set()

    def read(self, path, t=0):
        """The value at `path` as bytes, or None if it does not exist."""
        n = _UINT(0)
        p = _xs.xs_read(self.h, t, _b(path), ctypes.byref(n))
        if not p:
            return None
        try:
            return ctypes.string_at(p, n.value)
        finally:
            _libc.free(p)

    def read_str(self, path):
        v = self.read(path)
        return None if v is None else v.decode(errors="replace")

    def read_int(self, path):
        """`path` as an int, or None if missing or not a number."""
        v = self.read(path)
        try:
            return int(v)
        except (TypeError, ValueError):
            return None

    def write(self, path, value, t=0):
        v = _b(value)
        if not _xs.xs_write(self.h, t, _b(path), v, len(v)):
            raise _err(f"xs_write {path}")

    def rm(self, path, t=0):
        return _xs.xs_rm(self.h, t, _b(path))

    def ls(self, path):
        n = _UINT(0)
        p = _xs.xs_directory(self.h, 0, _b(path), ctypes.byref(n))
        if not p:
            return []
        try:
            arr = ctypes.cast(p, ctypes.POINTER(ctypes.c_char_p))
            return [arr[i].decode(errors="replace") for i in range(n.value)]
        finally:
            _libc.free(p)

    def chmod(self, path, *perms, t=0):
        """Permissions as (domid, XS_PERM_*) pairs; the first is the owner's."""
        arr = (_XsPerm * len(perms))(*[_XsPerm(d, p) for d, p in perms])
        if not _xs.xs_set_permissions(self.h, t, _b(path), arr, len(perms)):
            raise _err(f"xs_set_permissions {path}")

    def transaction(self, body, tries=100):
        """Runs body(t) in a transaction, retrying on EAGAIN."""
        for _ in range(tries):
            t = _xs.xs_transaction_start(self.h)
            if not t:
                raise _err("xs_transaction_start")
            try:
                body(t)
            except BaseException:
                _xs.xs_transaction_end(self.h, t, True)
                raise
            if _xs.xs_transaction_end(self.h, t, False):
                return
            if ctypes.get_errno() != 11:
                raise _err("xs_transaction_end")
        raise OSError(11, "xenstore transaction kept failing")

    def watch(self, path):
        if path not in self._watches:
            if not _xs.xs_watch(self.h, _b(path), _b(path)):
                raise _err(f"xs_watch {path}")
            self._watches.add(path)

    def unwatch(self, path):
        if path in self._watches:
            _xs.xs_unwatch(self.h, _b(path), _b(path))
            self._watches.discard(path)

    def _drain_watches(self, timeout):
        """Waits up to `timeout` for a watch event; drops every pending one."""
        r, _, _ = select.select([_xs.xs_fileno(self.h)], [], [], max(0, timeout))
        if not r:
            return
        while True:
            p = _xs.xs_check_watch(self.h)
            if not p:
                return
            _libc.free(p)

    def wait(self, path, pred, timeout):
        """Waits until pred(read_int(path)) holds (watching `path`); the value, or
        raises TimeoutError."""
        self.watch(path)
        deadline = time.monotonic() + timeout
        while True:
            v = self.read_int(path)
            if pred(v):
                return v
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{path} is {v}")
            self._drain_watches(min(left, 0.5))

    def close(self):
        if self.h:
            _xs.xs_close(self.h)
            self.h = None


class ThreadXs:
    """An Xs per thread, behind one name: a script whose scenarios run in
    threads shares this object, and each thread gets its own connection (and its
    own watches)."""

    def __init__(self):
        import threading
        self._local = threading.local()

    def __getattr__(self, name):
        xs = getattr(self._local, "xs", None)
        if xs is None:
            xs = self._local.xs = Xs()
        return getattr(xs, name)


# --- The ring ----------------------------------------------------------------

IN_SIZE, OUT_SIZE = 1024, 2048
IN_OFF, OUT_OFF, IDX_OFF = 0, 1024, 3072
INDICES = ("in_cons", "in_prod", "out_cons", "out_prod")

# enum xenbus_state
UNKNOWN, INITIALISING, INITWAIT, INITIALISED, CONNECTED, CLOSING, CLOSED = range(7)


class Mapping:
    """One mapping of a guest ring page (xengnttab), with index and byte access."""

    def __init__(self, gt, domid, gref):
        self.gt, self.gref = gt, gref
        self.addr = _gt.xengnttab_map_grant_ref(gt, domid, gref, PROT_READ | PROT_WRITE)
        if not self.addr:
            raise _err(f"map grant {gref} of domain {domid}")

    def _u32(self, name):
        return ctypes.c_uint32.from_address(self.addr + IDX_OFF + 4 * INDICES.index(name))

    def get(self, name):
        return self._u32(name).value

    def set(self, name, value):
        self._u32(name).value = value & 0xFFFFFFFF

    def read(self, off, n):
        return ctypes.string_at(self.addr + off, n)

    def write(self, off, data):
        ctypes.memmove(self.addr + off, data, len(data))

    def unmap(self):
        if self.addr:
            if _gt.xengnttab_unmap(self.gt, self.addr, 1) != 0:
                raise _err(f"unmap grant {self.gref}")
            self.addr = None


class ProtocolError(Exception):
    """The guest published indices, or a ring, no correct frontend produces."""


class Console:
    """A console device of domain `domid`, devid `devid`, served from here.

    The frontend directory is device/console/<devid> of the domain (its name as
    given: "07" stays "07"); the backend directory backend/rogue/<domid>/<devid>.
    """

    def __init__(self, xs, domid, devid, name="org.xen-channel.rogue", be_type="rogue"):
        self.xs, self.domid, self.devid, self.name = xs, int(domid), str(devid), name
        self.fe = f"/local/domain/{self.domid}/device/console/{self.devid}"
        self.be = f"/local/domain/0/backend/{be_type}/{self.domid}/{self.devid}"
        self.gt = _gt.xengnttab_open(None, 0)
        self.ev = _ev.xenevtchn_open(None, 0)
        if not self.gt or not self.ev:
            raise _err("open /dev/xen/gntdev or /dev/xen/evtchn")
        self.map = None     # the live ring
        self.port = None    # our end of the event channel
        self.held = []      # old rings kept mapped on purpose
        self.held_ports = []
        self.gref = self.remote_port = None
        self.notifies = 0

    # --- xenstore -------------------------------------------------------------

    def create(self, name=None, extra=None, fe_state=INITIALISING, be_state=INITIALISING):
        """Creates the device: backend first, frontend `state` last, as the
        toolstack does. `name` None keeps self.name; b"" or any bytes are written
        as they are; `extra` adds frontend nodes."""
        D, xs = self.domid, self.xs
        name = self.name if name is None else name

        def body(t):
            # Directories first, with their permissions: the nodes written below
            # inherit them (the backend's readable by the guest, the frontend's
            # owned by it).
            xs.write(self.be, "", t)
            xs.chmod(self.be, (0, XS_PERM_NONE), (D, XS_PERM_READ), t=t)
            xs.write(f"{self.be}/frontend", self.fe, t)
            xs.write(f"{self.be}/frontend-id", D, t)
            xs.write(f"{self.be}/online", "1", t)
            xs.write(f"{self.be}/state", be_state, t)
            xs.write(self.fe, "", t)
            xs.chmod(self.fe, (D, XS_PERM_NONE), (0, XS_PERM_READ), t=t)
            xs.write(f"{self.fe}/backend", self.be, t)
            xs.write(f"{self.fe}/backend-id", "0", t)
            xs.write(f"{self.fe}/protocol", "vt100", t)
            if name is not False:
                xs.write(f"{self.fe}/name", name, t)
            for k, v in (extra or {}).items():
                xs.write(f"{self.fe}/{k}", v, t)
        xs.transaction(body)
        # The frontend's state last: xenbus probes a device it sees Initialising.
        xs.write(f"{self.fe}/state", fe_state)

    def destroy(self):
        """Unmaps, and removes both directories, the backend's first (the guest
        sees the device unplugged)."""
        self.detach()
        self.release_held()
        self.xs.rm(self.be)
        self.xs.rm(self.fe)

    def be_state(self, value):
        """Writes the backend state: an int, or any bytes (garbage)."""
        self.xs.write(f"{self.be}/state", value)

    def fe_state(self):
        return self.xs.read_int(f"{self.fe}/state")

    def wait_fe(self, pred, timeout=60):
        if isinstance(pred, int):
            want = pred
            pred = lambda v: v == want  # noqa: E731
        return self.xs.wait(f"{self.fe}/state", pred, timeout)

    def fe_value(self, node):
        return self.xs.read(f"{self.fe}/{node}")

    # --- the link ---------------------------------------------------------------

    def attach(self):
        """Maps the ring-ref and binds the port the frontend published now;
        ProtocolError if the frontend has none (it may unpublish at any time)."""
        ref_text, port_text = self.fe_value("ring-ref"), self.fe_value("port")
        try:
            self.gref, self.remote_port = int(ref_text), int(port_text)
        except (TypeError, ValueError):
            raise ProtocolError(f"no ring published (ring-ref {ref_text!r}, port {port_text!r})") from None
        self.map = Mapping(self.gt, self.domid, self.gref)
        port = _ev.xenevtchn_bind_interdomain(self.ev, self.domid, self.remote_port)
        if port < 0:
            m, self.map = self.map, None
            m.unmap()
            raise _err(f"bind port {self.remote_port} of domain {self.domid}")
        self.port = port
        # Validation of the guest's own indices starts from what the page says now.
        self._valid_from = (self.map.get("in_prod"), self.map.get("out_cons"))

    def detach(self, keep=False):
        """Unbinds and unmaps the live ring, or with `keep` leaves it mapped (and
        the port bound) on purpose."""
        if keep:
            if self.map:
                self.held.append(self.map)
            if self.port is not None:
                self.held_ports.append(self.port)
        else:
            if self.port is not None:
                _ev.xenevtchn_unbind(self.ev, self.port)
            if self.map:
                self.map.unmap()
        self.map = self.port = None

    def release_held(self):
        """Unmaps the rings kept mapped on purpose; returns how many."""
        n = len(self.held)
        for m in self.held:
            m.unmap()
        for p in self.held_ports:
            _ev.xenevtchn_unbind(self.ev, p)
        self.held, self.held_ports = [], []
        return n

    def connect(self, timeout=60, keep_old=False):
        """The backend's half of a handshake, as QEMU does it: InitWait, wait for
        the frontend's ring (Initialised), map and bind, Connected, wait for the
        frontend to follow. With `keep_old` a previous ring stays mapped."""
        if self.map:
            self.detach(keep=keep_old)
        self.be_state(INITWAIT)
        self.wait_fe(INITIALISED, timeout)
        self.attach()
        self.be_state(CONNECTED)
        self.wait_fe(CONNECTED, timeout)

    def close(self, timeout=60, keep=False, reset=True):
        """A close as QEMU does it: unmap (unless `keep`), Closing, wait for the
        frontend's Closed, Closed; with `reset`, wait for the frontend to start
        over (Initialising)."""
        self.detach(keep=keep)
        self.be_state(CLOSING)
        self.wait_fe(CLOSED, timeout)
        self.be_state(CLOSED)
        if reset:
            self.wait_fe(INITIALISING, timeout)

    def notify(self):
        if self.port is not None:
            _ev.xenevtchn_notify(self.ev, self.port)
            self.notifies += 1

    def wait_event(self, timeout):
        """Waits up to `timeout` for an event from the guest; True if one came."""
        fd = _ev.xenevtchn_fd(self.ev)
        r, _, _ = select.select([fd], [], [], max(0, timeout))
        if not r:
            return False
        p = _ev.xenevtchn_pending(self.ev)
        if p >= 0:
            _ev.xenevtchn_unmask(self.ev, p)
        return True

    # --- the xencons protocol, done right ------------------------------------

    def get(self, name):
        return self.map.get(name)

    def set_index(self, name, value):
        self.map.set(name, value)

    def write_in(self, at, data):
        """Writes `data` into 'in' at free-running index `at` (no index change)."""
        done = 0
        while done < len(data):
            off = (at + done) % IN_SIZE
            n = min(len(data) - done, IN_SIZE - off)
            self.map.write(IN_OFF + off, data[done:done + n])
            done += n

    def read_out(self, at, n):
        """Reads `n` bytes of 'out' from free-running index `at` (no index change)."""
        out = b""
        done = 0
        while done < n:
            off = (at + done) % OUT_SIZE
            k = min(n - done, OUT_SIZE - off)
            out += self.map.read(OUT_OFF + off, k)
            done += k
        return out

    def send_some(self, data):
        """Produces as much of `data` as 'in' has room for; returns the count.
        Raises ProtocolError if the guest's in_cons is impossible."""
        m = self.map
        cons, prod = m.get("in_cons"), m.get("in_prod")
        used = (prod - cons) & 0xFFFFFFFF
        if used > IN_SIZE:
            raise ProtocolError(f"in_cons {cons} in_prod {prod}")
        n = min(len(data), IN_SIZE - used)
        if n:
            self.write_in(prod, data[:n])
            m.set("in_prod", prod + n)
        return n

    def recv_some(self, limit=OUT_SIZE):
        """Consumes what the guest produced into 'out', up to `limit` bytes.
        Raises ProtocolError if the guest's out_prod is impossible."""
        m = self.map
        cons, prod = m.get("out_cons"), m.get("out_prod")
        avail = (prod - cons) & 0xFFFFFFFF
        if avail > OUT_SIZE:
            raise ProtocolError(f"out_cons {cons} out_prod {prod}")
        n = min(avail, limit)
        out = self.read_out(cons, n)
        if n:
            m.set("out_cons", cons + n)
        return out

    def send(self, data, timeout=120):
        """Sends all of `data`, waiting for room."""
        deadline = time.monotonic() + timeout
        done = 0
        while done < len(data):
            n = self.send_some(data[done:])
            done += n
            if n:
                self.notify()
            elif not self.wait_event(min(0.2, deadline - time.monotonic())):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"sent {done} of {len(data)}")

    def recv(self, count, timeout=120):
        """Receives exactly `count` bytes."""
        deadline = time.monotonic() + timeout
        out = []
        got = 0
        while got < count:
            data = self.recv_some(count - got)
            if data:
                out.append(data)
                got += len(data)
                self.notify()
            elif not self.wait_event(min(0.2, deadline - time.monotonic())):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"received {got} of {count}")
        return b"".join(out)

    def exchange(self, send, count, timeout=300):
        """Sends `send` and receives `count` bytes at the same time (the guest may
        write before it reads); returns what was received."""
        deadline = time.monotonic() + timeout
        sent, got, out = 0, 0, []
        while sent < len(send) or got < count:
            moved = False
            if sent < len(send):
                n = self.send_some(send[sent:])
                sent += n
                moved |= n > 0
            if got < count:
                data = self.recv_some(count - got)
                if data:
                    out.append(data)
                    got += len(data)
                    moved = True
            if moved:
                self.notify()
            elif not self.wait_event(min(0.2, deadline - time.monotonic())):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"sent {sent} of {len(send)}, received {got} of {count}")
        return b"".join(out)

    # --- misbehaviour -------------------------------------------------------------

    def storm(self, seconds, mode="idle", chunk=16):
        """Notifies in a tight loop for `seconds`. mode "idle": no index moves;
        "progress": each event produces up to `chunk` valid bytes while 'in' has
        room (the progress a backend can fake: bytes nobody reads, bounded by
        what the guest makes room for); "toggle": in_prod goes forward and back
        by one; "spin": the same loop without notifying (a baseline: dom0 as
        busy, no storm). Returns the number of notifications; `produced` and
        `moves` count the bytes produced and the moves of in_prod."""
        end = time.monotonic() + seconds
        n = 0
        m = self.map
        base = m.get("in_prod")
        self.produced = self.moves = 0
        while time.monotonic() < end:
            for _ in range(64):
                if mode == "progress":
                    cons, prod = m.get("in_cons"), m.get("in_prod")
                    k = min(chunk, IN_SIZE - ((prod - cons) & 0xFFFFFFFF))
                    if k > 0:
                        self.write_in(prod, b"s" * k)
                        m.set("in_prod", prod + k)
                        self.produced += k
                        self.moves += 1
                elif mode == "toggle":
                    m.set("in_prod", base + (n & 1))
                    self.moves += 1
                if mode != "spin":
                    _ev.xenevtchn_notify(self.ev, self.port)
                    n += 1
        self.notifies += n
        return n

    def close_handles(self):
        self.detach()
        self.release_held()
        _ev.xenevtchn_close(self.ev)
        _gt.xengnttab_close(self.gt)


def grant_table_usage(domid):
    """Xen's view of domain `domid`'s grant table (debug key 'g'): (frames set
    up, grant entries some domain maps now); (None, None) if not reported.
    Clears Xen's console ring."""
    import re
    import subprocess
    subprocess.run(["xl", "dmesg", "-c"], capture_output=True)
    subprocess.run(["xl", "debug-keys", "g"], capture_output=True)
    time.sleep(0.5)
    out = subprocess.run(["xl", "dmesg", "-c"], capture_output=True, text=True).stdout
    frames = active = None
    mine = False
    for line in out.splitlines():
        line = re.sub(r"^\(XEN\) ", "", line)
        if "grant-table for remote d" in line:
            mine = f"remote d{domid} " in line
            continue
        if not mine:
            continue
        m = re.search(r"(\d+) frames \(\d+ max\)", line)
        if m:
            frames, active = int(m.group(1)), 0
        elif re.match(r"\s*\[0x[0-9a-f]+\]", line):
            active += 1
    return frames, active


def sha(data):
    return hashlib.sha256(data).hexdigest()


def stream(seed, offset, count):
    """Bytes `offset`.. of the SplitMix64 stream of `seed`, as `xc-guest
    write-stream` writes them (8 bytes a word, little-endian)."""
    m = (1 << 64) - 1
    first = offset // 8
    out = bytearray()
    for w in range(first, (offset + count + 7) // 8):
        z = (seed + (w + 1) * 0x9E3779B97F4A7C15) & m
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        z ^= z >> 31
        out += z.to_bytes(8, "little")
    skip = offset - first * 8
    return bytes(out[skip:skip + count])


# --- Guest handshakes through xenstore ------------------------------------------


class Ctl:
    """Steps shared with the guest through its xenstore home (data/lab/KEY), a
    path that does not use the module under test. The guest writes with
    `xc-guest xs-write data/lab/KEY VALUE` and waits with `xc-guest xs-wait`."""

    def __init__(self, xs, domid):
        self.xs, self.base = xs, f"/local/domain/{domid}/data/lab"

    def put(self, key, value="1"):
        self.xs.write(f"{self.base}/{key}", value)

    def get(self, key):
        return self.xs.read_str(f"{self.base}/{key}")

    def wait(self, key, timeout=300):
        """Waits until the guest wrote `key`; its value."""
        path = f"{self.base}/{key}"
        self.xs.watch(path)
        deadline = time.monotonic() + timeout
        while True:
            v = self.xs.read_str(path)
            if v is not None:
                return v
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"guest never wrote {key}")
            self.xs._drain_watches(min(left, 0.5))


# --- A hand-made session -----------------------------------------------------------


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="serve a console of a domain from dom0 (rogue backend)")
    ap.add_argument("domid", type=int)
    ap.add_argument("devid")
    ap.add_argument("--name", default="org.xen-channel.rogue")
    ap.add_argument("--mode", default="echo",
                    choices=["echo", "storm-idle", "storm-progress", "storm-toggle", "bad-index", "vanish"])
    ap.add_argument("--seconds", type=float, default=30)
    a = ap.parse_args(argv)
    xs = Xs()
    con = Console(xs, a.domid, a.devid, a.name)
    con.create()
    if a.mode == "vanish":
        con.be_state(INITWAIT)
        print("InitWait; never Connected, never Closed")
        time.sleep(a.seconds)
        return 0
    con.connect()
    print(f"connected: ring-ref {con.gref} port {con.remote_port}")
    if a.mode.startswith("storm-"):
        n = con.storm(a.seconds, a.mode[6:])
        print(f"{n} notifications in {a.seconds} s")
    elif a.mode == "bad-index":
        con.set_index("in_prod", con.get("in_cons") + IN_SIZE + 1)
        con.notify()
        print("in_prod set past the ring")
    else:
        end = time.monotonic() + a.seconds
        while time.monotonic() < end:
            data = con.recv_some()
            while data:
                data = data[con.send_some(data):]
                con.notify()
                con.wait_event(0.1)
            con.wait_event(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
