# dom0 half of tests/lab/qemu-faults: the channels' real backend, QEMU, frozen
# (SIGSTOP) under a writer, then killed (SIGKILL) in the middle of a transfer
# each way, then re-plugged by hand (xl cannot): a new QEMU with the old one's
# command line, after the backend directories are reset as a toolstack would.
import os
import signal
import subprocess
import threading
import time

from peer import Ktap, Lines, connect, domid, say, wait_guest_done
from rogue import CLOSED, CLOSING, CONNECTED, INITIALISING, Ctl, Xs, stream

ktap = Ktap()
D = domid()
xs = Xs()
ctl = Ctl(xs, D)
UP_SEED, DOWN_SEED, KILL_UP_SEED = 7, 11, 13


def qemu_pid():
    out = subprocess.run(["pgrep", "-f", f"xen-domid {D} "], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def channels():
    """QEMU's consoles of the domain: (frontend dir, backend dir)."""
    base = f"/local/domain/0/backend/console/{D}"
    out = []
    for n in xs.ls(base):
        fe = xs.read_str(f"{base}/{n}/frontend")
        if fe and xs.read_str(f"{fe}/type") == "ioemu":
            out.append((fe, f"{base}/{n}"))
    return out


def hello(path):
    peer = Lines(connect(path))
    peer.send("HELLO\n")
    return peer


down, up = hello("/run/xc-down.sock"), hello("/run/xc-up.sock")
ctl.wait("ready")
pid = qemu_pid()
argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
env = dict(kv.split(b"=", 1) for kv in open(f"/proc/{pid}/environ", "rb").read().split(b"\0") if b"=" in kv)
ktap.info(f"QEMU pid {pid}: {len(argv)} arguments")

# --- SIGSTOP: QEMU frozen under a writer. ------------------------------------------
ctl.wait("stop-armed")
os.kill(pid, signal.SIGSTOP)
# Read "up" all along: read only after "accepted", the run stalled with bytes
# still to come, most likely because QEMU's console backend stops taking the
# ring when its socket is full and tries again only on the guest's next
# notification, which a guest whose ring is full never sends.
stop_reading = threading.Event()
got = bytearray(up.buf)
up.buf = b""


def read_up():
    up.sock.settimeout(0.5)
    while not stop_reading.is_set():
        try:
            data = up.sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return
        if not data:
            return
        got.extend(data)


reader = threading.Thread(target=read_up, daemon=True)
reader.start()
ctl.put("stopped")
ctl.wait("writers-waiting", timeout=600)
time.sleep(1)
os.kill(pid, signal.SIGCONT)
ctl.put("continued")
accepted = int(ctl.wait("accepted", timeout=600))
deadline = time.monotonic() + 600
while len(got) < accepted and time.monotonic() < deadline:
    time.sleep(0.2)
time.sleep(3)  # anything more would arrive now
stop_reading.set()
reader.join(5)
ktap.check(bytes(got) == stream(UP_SEED, 0, accepted),
           f"stop-exactly-the-accepted-bytes-arrive ({len(got)} bytes, {accepted} accepted)")
ctl.put("stop-checked")

# --- SIGKILL mid-transfer, both ways. ------------------------------------------------
down_sent = 0
up_got = bytearray()
stop_down = threading.Event()


def send_down():
    global down_sent
    chunk = 16384
    try:
        while not stop_down.is_set():
            data = stream(DOWN_SEED, down_sent, chunk)
            down_sent += chunk  # offered: the guest may get part of it
            down.sock.sendall(data)
    except OSError:
        pass


def recv_up():
    up.sock.settimeout(None)
    try:
        while True:
            data = up.sock.recv(65536)
            if not data:
                return
            up_got.extend(data)
    except OSError:
        pass


ctl.put("kill-go")
ctl.wait("kill-running")
threads = [threading.Thread(target=send_down, daemon=True), threading.Thread(target=recv_up, daemon=True)]
for t in threads:
    t.start()
deadline = time.monotonic() + 600
while (len(up_got) < 256 * 1024 or down_sent < 256 * 1024) and time.monotonic() < deadline:
    time.sleep(0.2)
os.kill(pid, signal.SIGKILL)
t0 = time.monotonic()
while os.path.exists(f"/proc/{pid}") and time.monotonic() - t0 < 30:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    time.sleep(0.1)
stop_down.set()
for t in threads:
    t.join(10)
ktap.info(f"QEMU killed with {down_sent} bytes handed to the down socket, {len(up_got)} received from up")
ktap.check(bytes(up_got) == stream(KILL_UP_SEED, 0, len(up_got)), f"kill-up-bytes-before-kill-intact ({len(up_got)})")
# What a toolstack does when a backend dies: the backend closes.
chans = channels()
for fe, be in chans:
    xs.write(f"{be}/state", CLOSING)
ctl.put("killed")
r, w = (int(x) for x in ctl.wait("kill-results", timeout=600).split())
ktap.check(r <= down_sent, f"kill-down-guest-read-no-more-than-sent ({r} of {down_sent})")
ktap.check(len(up_got) <= w, f"kill-up-dom0-got-no-more-than-accepted ({len(up_got)} of {w})")

# --- Re-plug by hand: reset the backends, start a QEMU like the old one. ----------
for fe, be in chans:
    xs.wait(f"{fe}/state", lambda s: s == CLOSED, 120)
    xs.write(f"{be}/state", CLOSED)
for fe, be in chans:
    xs.wait(f"{fe}/state", lambda s: s == INITIALISING, 120)
    xs.write(f"{be}/state", INITIALISING)
log = open("/lab/out/qemu-replugged.log", "wb")
new = subprocess.Popen([a.decode() for a in argv], env={k.decode(): v.decode() for k, v in env.items()},
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
try:
    for fe, be in chans:
        xs.wait(f"{be}/state", lambda s: s == CONNECTED, 120)
        xs.wait(f"{fe}/state", lambda s: s == CONNECTED, 120)
    ktap.ok(f"replug-new-qemu-connected (pid {new.pid}, {len(chans)} channels)")
except TimeoutError as e:
    ktap.fail("replug-new-qemu-connected", str(e))
down2, up2 = hello("/run/xc-down.sock"), hello("/run/xc-up.sock")
ctl.put("replugged")
# On the same open file the guest writes AFTER-REPLUG; before it come the bytes
# it had accepted that the old QEMU never consumed: the end of its stream, from
# where the old QEMU stopped, nothing twice.
try:
    up2.sock.settimeout(300)
    while b"AFTER-REPLUG\n" not in up2.buf:
        up2._fill(300)
    left = up2.buf[:up2.buf.index(b"AFTER-REPLUG\n")]
    start = w - len(left)
    ktap.check(start >= len(up_got) and left == stream(KILL_UP_SEED, start, len(left)),
               f"replug-unconsumed-bytes-resent-first ({len(left)} bytes from offset {start}; "
               f"the old QEMU passed on {len(up_got)}, lost {start - len(up_got)} it had consumed)")
except (OSError, EOFError) as e:
    ktap.fail("replug-unconsumed-bytes-resent-first", repr(e))
ctl.wait("replug-checked", timeout=300)
wait_guest_done()
ktap.finished()
