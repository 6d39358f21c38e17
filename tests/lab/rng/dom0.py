# dom0 side of tests/lab/rng: runs the feeder with a known stream when the guest
# says so (xenstore data/xc/rng), stops it, and starts it again further on.
import subprocess
import time

from peer import Ktap, domid, wait_guest_done, xs

ktap = Ktap()
D = domid()
KEY = f"/local/domain/{D}/data/xc/rng"
FEEDER = ["python3", "/lab/files/xen-channel-rng-feeder", "/run/xc-rng.sock", "--stream", "42"]


def wait_key(want, timeout=900):
    deadline = time.time() + timeout
    while xs("xenstore-read", KEY, check=False) != want:
        if time.time() > deadline:
            raise TimeoutError(f"{KEY} never became {want}")
        time.sleep(0.2)


wait_key("start")
feeder = subprocess.Popen(FEEDER)
wait_key("stop")
feeder.kill()
feeder.wait()
xs("xenstore-write", KEY + "-state", "stopped")
ktap.ok("feeder-stopped")
wait_key("start-again")
# Further on in the stream: nothing the guest got before comes again.
feeder = subprocess.Popen(FEEDER + ["--offset", str(8 << 20)])
ktap.ok("feeder-started-again")
wait_key("urandom")
feeder.kill()
feeder.wait()
feeder = subprocess.Popen(FEEDER[:3])
xs("xenstore-write", KEY + "-state", "urandom")
ktap.ok("feeder-on-urandom")
wait_guest_done()
feeder.kill()
ktap.finished()
