# dom0 side of tests/lab/takeover: serves channels a and b, the unnamed console
# 9 (plugged at start) and the named console 8 (plugged once round a1 is done).
import hashlib
import json
import os
import subprocess
import threading
import time

from peer import Ktap, Lines, connect, domid, say, wait_guest_done, xs

D = domid()
ktap = Ktap()
# XC_TAKEOVER_TRACE=1 on the host: log console 1's states and Xen's grant table
# every few seconds, for diagnosing a takeover (the run script passes it here).
TRACE = os.path.exists("/lab/files/trace")


def plug_console(devid, output, name=None):
    """Hot-plugs console `devid`: backend first (state 1), frontend state last."""
    fe = f"/local/domain/{D}/device/console/{devid}"
    be = f"/local/domain/0/backend/console/{D}/{devid}"
    xs("xenstore-write", f"{be}/frontend", fe, f"{be}/frontend-id", D, f"{be}/online", "1",
       f"{be}/protocol", "vt100", f"{be}/state", "1")
    xs("xenstore-chmod", "-r", be, "n0", f"r{D}")
    named = [f"{fe}/name", name] if name else []
    xs("xenstore-write", f"{fe}/backend", be, f"{fe}/backend-id", "0", f"{fe}/limit", "1048576",
       f"{fe}/type", "ioemu", f"{fe}/output", output, f"{fe}/tty", "", f"{fe}/protocol", "vt100",
       *named)
    xs("xenstore-chmod", "-r", fe, f"n{D}", "r0")
    xs("xenstore-write", f"{fe}/state", "1")


def trace():
    while True:
        time.sleep(4)
        fe = f"/local/domain/{D}/device/console/1"
        be = f"/local/domain/0/backend/console/{D}/1"
        say(f"# trace {time.strftime('%T')} fe1 {xs('xenstore-read', fe + '/state', check=False)} "
            f"be1 {xs('xenstore-read', be + '/state', check=False)} "
            f"ref1 {xs('xenstore-read', fe + '/ring-ref', check=False)}")
        subprocess.run(["xl", "debug-keys", "g"])
        dump = subprocess.run(["xl", "dmesg", "-c"], capture_output=True, text=True).stdout
        for line in [x for x in dump.splitlines() if "(XEN)" in x][-12:]:
            say("# trace " + line)


def xfer(peer, tag):
    """1 MiB each way after the guest's HELLO; ends with DONE <sent> <received>."""
    data = os.urandom(1 << 20)
    sent = hashlib.sha256(data).hexdigest()
    peer.send(f"READY {tag}\n")
    writer = threading.Thread(target=peer.send, args=(data,))
    writer.start()
    got = peer.exact(len(data), timeout=300)
    writer.join()
    recv = hashlib.sha256(got).hexdigest()
    ktap.info(f"{tag}: sent {sent[:16]}.., received {len(got)} bytes {recv[:16]}..")
    ktap.ok(f"{tag}-dom0-received-1MiB")
    peer.send(f"DONE {sent} {recv}\n")


def qmp(*commands):
    """Runs QMP commands on the domain's QEMU (libxl's QMP socket)."""
    f = connect(f"/var/run/xen/qmp-libxl-{D}").makefile("rw")
    json.loads(f.readline())
    for c in ({"execute": "qmp_capabilities"},) + commands:
        f.write(json.dumps(c) + "\n")
        f.flush()
        while "return" not in (r := json.loads(f.readline())) and "error" not in r:
            pass
        if "error" in r:
            raise RuntimeError(f"QMP {c['execute']}: {r['error']}")


def answer(path, hello, pong, desc):
    """Answers the first line ending in `hello` on a console's socket with `pong`."""
    peer = Lines(connect(path, timeout=600))
    while not peer.line(timeout=1200).endswith(hello):
        pass
    peer.send(pong + "\n")
    ktap.ok(desc)
    return peer


def hot_plug_named_console():
    # A chardev QEMU already has, so that the backend survives the takeover's
    # reset (a console that makes its own chardev cannot: QEMU 7.2 creates it
    # again and fails on the duplicate).
    qmp({"execute": "chardev-add", "arguments": {"id": "xc-hot", "backend": {
        "type": "socket", "data": {"addr": {"type": "unix", "data": {"path": "/run/xc-8.sock"}},
                                   "server": True, "wait": False}}}})
    threading.Thread(target=answer, args=("/run/xc-8.sock", "HELLO8", "PONG8",
                                          "console-8-answered"), daemon=True).start()
    plug_console(8, "chardev:xc-hot", "org.xen-channel.test.hot")
    ktap.info("hot-plugged named console 8 (org.xen-channel.test.hot)")


def channel_a():
    # Two rounds, a1 after the first load and a2 after the cycles; the named
    # console 8 is plugged in between. QEMU closes our connection whenever the
    # module resets the backend: reconnect.
    peer = Lines(connect("/run/xc-a.sock"))
    for want in ("a1", "a2"):
        while True:
            try:
                if peer.line(timeout=1200) == f"HELLO {want}":
                    break
            except EOFError:
                ktap.info("channel a: QEMU closed the connection; reconnecting")
                peer = Lines(connect("/run/xc-a.sock"))
        xfer(peer, want)
        if want == "a1":
            hot_plug_named_console()
    return peer


def channel_b():
    # Round b1, then a flood both ways for the rest of the run.
    peer = Lines(connect("/run/xc-b.sock"))
    peer.wait_for("HELLO b1", timeout=1200)
    xfer(peer, "b1")

    def drain(sock):
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, args=(peer.sock,), daemon=True).start()
    chunk = os.urandom(4096)
    while True:
        try:
            peer.sock.sendall(chunk)
        except OSError:
            peer = Lines(connect("/run/xc-b.sock"))
            threading.Thread(target=drain, args=(peer.sock,), daemon=True).start()


plug_console(9, "unix:/run/xc-9.sock,server=on,wait=off")
ktap.info(f"hot-plugged unnamed console 9 into domain {D}")
if TRACE:
    threading.Thread(target=trace, daemon=True).start()
threading.Thread(target=channel_b, daemon=True).start()
threading.Thread(target=answer, args=("/run/xc-9.sock", "HELLO9", "PONG9", "console-9-answered"),
                 daemon=True).start()
try:
    keep = channel_a()
except Exception as e:  # noqa: BLE001 - any failure is the check's result
    ktap.fail("channel-a-rounds", repr(e))
wait_guest_done()
ktap.finished()
