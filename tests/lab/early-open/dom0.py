# dom0 side of tests/lab/early-open: per round, waits until the guest has the
# node open (its xenstore key) and the channel's frontend is Connected, waits 3 s
# more, then sends the round's line.
import threading
import time

from peer import Ktap, Lines, connect, domid, frontend_dir, wait_guest_done, xs

ktap = Ktap()
D = domid()


def wait_key(path, want, timeout=600):
    """Waits until xenstore `path` (absolute, or under the domain's home) reads `want`."""
    path = path if path.startswith("/") else f"/local/domain/{D}/{path}"
    deadline = time.time() + timeout
    while xs("xenstore-read", path, check=False) != want:
        if time.time() > deadline:
            raise TimeoutError(f"{path} never became {want}")
        time.sleep(0.1)


def serve(tag, name, rounds):
    peer = Lines(connect(f"/run/xc-early-{tag}.sock"))
    for r in range(rounds):
        wait_key(f"data/xc/{tag}", str(r))
        wait_key(frontend_dir(name) + "/state", "4")
        time.sleep(3)
        peer.send(f"round-{r}\n")
        ktap.ok(f"{tag}-sent-round-{r}")


threads = [
    threading.Thread(target=serve, args=("a", "org.xen-channel.test.early-a", 4)),
    threading.Thread(target=serve, args=("b", "org.xen-channel.test.early-b", 1)),
]
for t in threads:
    t.start()
for t in threads:
    t.join()
wait_guest_done()
ktap.finished()
