# dom0 side of tests/lab/e2e-channels: hot-plugs an unnamed console, then serves
# both channels at once, 1 MiB each way.
import hashlib
import os
import threading

from peer import Ktap, Lines, connect, domid, say, wait_guest_done, xs

ktap = Ktap()
D = domid()

# An unnamed console, devid 9: backend first (state 1), frontend state last.
FE = f"/local/domain/{D}/device/console/9"
BE = f"/local/domain/0/backend/console/{D}/9"
xs("xenstore-write", f"{BE}/frontend", FE, f"{BE}/frontend-id", D, f"{BE}/online", "1",
   f"{BE}/protocol", "vt100", f"{BE}/state", "1")
xs("xenstore-chmod", "-r", BE, "n0", f"r{D}")
xs("xenstore-write", f"{FE}/backend", BE, f"{FE}/backend-id", "0", f"{FE}/limit", "1048576",
   f"{FE}/type", "ioemu", f"{FE}/output", "pty", f"{FE}/tty", "", f"{FE}/protocol", "vt100")
xs("xenstore-chmod", "-r", FE, f"n{D}", "r0")
xs("xenstore-write", f"{FE}/state", "1")
ktap.info(f"hot-plugged unnamed console 9 into domain {D}")


def xfer(tag):
    peer = Lines(connect(f"/run/xc-{tag}.sock"))
    data = os.urandom(1 << 20)
    sent = hashlib.sha256(data).hexdigest()
    say(f"# HASH {tag} dom0-sent {sent}")
    # The guest repeats HELLO until our READY, then says GO and streams.
    peer.wait_for("HELLO")
    peer.send("READY\n")
    peer.wait_for("GO")
    writer = threading.Thread(target=peer.send, args=(data,))
    writer.start()
    got = peer.exact(len(data), timeout=150)
    writer.join()
    recv = hashlib.sha256(got).hexdigest()
    say(f"# HASH {tag} dom0-recv {recv}")
    ktap.ok(f"{tag}-received-1MiB")
    peer.send(f"DONE {sent} {recv}\n")
    # Closing the socket now could drop DONE inside QEMU (it stops reading a
    # socket while the ring is full, and drops what it has not read at hang-up).
    peer.wait_for("BYE")


def serve(tag):
    try:
        xfer(tag)
    except Exception as e:  # noqa: BLE001 - any failure is the check's result
        ktap.fail(f"{tag}-transfer", repr(e))


threads = [threading.Thread(target=serve, args=(t,)) for t in "ab"]
for t in threads:
    t.start()
for t in threads:
    t.join()
wait_guest_done()
ktap.finished()
