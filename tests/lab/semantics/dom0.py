# dom0 half of tests/lab/semantics: the peer xc-semantics (guest) talks to, over
# the channel under test (sem) and a control channel (ctl) for handshakes.
import time

from peer import Ktap, Lines, backend_dir, connect, wait_guest_done, xs

NAME = "org.xen-channel.test.sem"
ktap = Ktap()
main = Lines(connect("/run/xc-sem.sock"))
ctl = Lines(connect("/run/xc-ctl.sock"))
# The guest waits for this before it writes anything.
main.send("HELLO\n")

ktap.check(main.line() == "PING", "got-ping")
# A delay the guest must sleep through: epoll and SIGIO report the answer.
time.sleep(1)
main.send("PONG\n")

ktap.check(main.line() == "FILL", "got-fill")
# Do not read until the guest reports a full ring on the control channel.
ktap.check(ctl.line(timeout=300) == "FULL", "guest-saw-full-ring")
count, marker = 0, b"\nCOUNT "
while True:
    # Keep a marker's length back: it may be split across two reads.
    at = main.buf.find(marker)
    if at >= 0:
        count += at
        main.buf = main.buf[at + 1:]
        break
    keep = len(marker) - 1
    count += max(0, len(main.buf) - keep)
    main.buf = main.buf[-keep:]
    main._fill(300)
claimed = int(main.line().split()[1])
ktap.check(count == claimed, "no-byte-lost-or-added", f"guest accepted {claimed}, dom0 got {count}")
ktap.info(f"fill: {count} bytes")

main.send("BYE-DATA\n")
# The guest has read BYE-DATA and armed its SIGIO record: now hang up, as QEMU
# does when it shuts the device down.
ktap.check(ctl.line(timeout=120) == "HANG-UP", "guest-ready-for-hang-up")
xs("xenstore-write", backend_dir(NAME) + "/state", "5")
ktap.check(main.line(timeout=120) == "AGAIN", "reconnected-same-socket")
main.send("AGAIN-ACK\n")
# The guest writes 48 KiB on the control channel and closes it at once.
words = ctl.line(timeout=120).split()
want = int(words[1]) if len(words) == 2 and words[0] == "BULK" else -1
bulk = ctl.exact(want, timeout=300) if want > 0 else b""
expected = bytes(ord("a") + i % 26 for i in range(want)) if want > 0 else None
ktap.check(bulk == expected, "closed-file-bytes-arrived", f"{len(bulk)} of {want} bytes, intact: {bulk == expected}")
main.send(f"BULK-OK {len(bulk) if bulk == expected else -1}\n")
wait_guest_done()
ktap.finished()
