# dom0 side of tests/lab/names: echoes one line on the highest devid's channel.
from peer import Ktap, Lines, connect, wait_guest_done

ktap = Ktap()
peer = Lines(connect("/run/xc-n11.sock"))
peer.send("HELLO\n")
line = peer.line(timeout=120)
ktap.check(line == "ECHO n11", "n11-got-echo-request", repr(line))
peer.send(line + " back\n")
wait_guest_done()
ktap.finished()
