# dom0 side of tests/lab/panic: listens on the panic channel, lets the guest
# panic, and checks what arrives (or, stalled, that the guest still crashes).
import os
import signal
import subprocess
import time

from peer import Ktap, Lines, connect, domid, xs

ktap = Ktap()
D = domid()
STALL = open("/lab/files/stall").read().strip() == "1"
KEY = f"/local/domain/{D}/data/xc/panic"
CONSOLE = f"/var/log/xen/console/guest-{os.environ['LAB_DOMU']}.log"

peer = Lines(connect("/run/xc-panic.sock"))
deadline = time.time() + 600
while xs("xenstore-read", KEY, check=False) != "armed":
    if time.time() > deadline:
        raise SystemExit("the guest never armed")
    time.sleep(0.2)
qemu = None
if STALL:
    qemu = int(subprocess.run(["pgrep", "-f", f"xen-domid {D} "], capture_output=True,
                              text=True).stdout.split()[0])
    os.kill(qemu, signal.SIGSTOP)
    ktap.info(f"QEMU (pid {qemu}) frozen")
t0 = time.time()
xs("xenstore-write", KEY + "-dom0", "ready")


def domain_crashed():
    out = subprocess.run(["xl", "list", os.environ["LAB_DOMU"]], capture_output=True, text=True).stdout
    lines = out.splitlines()
    return len(lines) >= 2 and "c" in lines[1].split()[4]


if STALL:
    while not domain_crashed() and time.time() - t0 < 120:
        time.sleep(0.5)
    took = time.time() - t0
    ktap.check(domain_crashed(), f"the-guest-crashed-with-qemu-frozen ({took:.0f} s)")
    ktap.check(took < 60, "within-60s-of-the-panic", f"{took:.0f} s")
    os.kill(qemu, signal.SIGCONT)
else:
    text = []
    try:
        while (line := peer.line(timeout=120)) != "--- end ---":
            text.append(line)
    except (EOFError, OSError) as e:
        ktap.info(f"socket: {e!r}")
    log = "\n".join(text)
    ktap.check(log.startswith("--- xen_channel_panic: panic"), "header-arrived", repr(log[:80]))
    ktap.check("sysrq triggered crash" in log, "the-panic-message-arrived")
    ktap.check("Call Trace" in log or "CPU:" in log, "the-backtrace-arrived")
    ktap.info(f"{len(log)} bytes of log over the channel")
    while not domain_crashed() and time.time() - t0 < 120:
        time.sleep(0.5)
    ktap.check(domain_crashed(), "the-guest-crashed")
    time.sleep(2)
    console = open(CONSOLE, errors="replace").read() if os.path.exists(CONSOLE) else ""
    ktap.check("sysrq triggered crash" in console, "the-primary-console-shows-the-panic-too")
ktap.finished()
