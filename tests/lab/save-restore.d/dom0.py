# dom0 side of tests/lab/save-restore, inlined into the dom0 script.
import os, socket, subprocess, sys, threading, time

domu = sys.argv[1]
path = "/run/xc-sr.sock"
image = "/var/lib/xen/save-restore.img"
away = "/run/lab/domu-away"  # the lab must not take the domain's absence for its end
# "migrate" (xl migrate to localhost) works the same way but fails in the lab:
# Xen refuses log-dirty mode for the PV domU ("Failed to enable logdirty: 95").
PHASES = ("save",)


def connect():
    for _ in range(1500):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            s.settimeout(300)
            return s
        except OSError:
            time.sleep(0.2)
    sys.exit("FAIL: cannot connect to " + path)


def read_lines(s, buf, count):
    while buf.count(b"\n") < count:
        data = s.recv(4096)
        if not data:
            break
        buf += data
    return buf


def drain(s, into):
    """Keeps what the old QEMU forwards until it goes away."""
    try:
        while data := s.recv(65536):
            into.append(data)
    except OSError:
        pass


def run(*argv):
    t0 = time.time()
    subprocess.run(argv, check=True)
    print(f"{' '.join(argv[:2])}: {time.time() - t0:.0f} s", flush=True)


s = connect()
s.sendall(b"HELLO\n")
n = 1
for phase in PHASES:
    got = read_lines(s, b"", 1)
    s.sendall(f"ack line-{n}\n".encode())
    time.sleep(3)
    s.sendall(f"sent before the {phase}\n".encode())
    time.sleep(1)
    old = []
    reader = threading.Thread(target=drain, args=(s, old))
    reader.start()
    open(away, "w").close()
    if phase == "save":
        run("xl", "save", domu, image)
        run("xl", "restore", image)
    else:
        # An empty ssh command makes xl run the host argument as the receiver.
        run("xl", "migrate", "-s", "", domu, "xl migrate-receive")
    os.unlink(away)
    reader.join()
    s.close()
    got += b"".join(old)
    s = connect()
    last = n + 39
    got = read_lines(s, got, 40)
    lines = [l for l in got.decode(errors="replace").splitlines() if l]
    want = [f"line-{i}" for i in range(n, last + 1)]
    print(f"{phase}: dom0 got {len(lines)} lines: {lines[:2]} .. {lines[-2:]}", flush=True)
    if lines != want:
        missing = [l for l in want if l not in lines]
        extra = [l for l in lines if l not in want]
        dups = len(lines) - len(set(lines))
        print(f"FAIL: {phase}: missing {missing}, unexpected {extra}, duplicates {dups}", flush=True)
        s.sendall(b"lines missing, repeated or out of order\n")
        time.sleep(3)
        sys.exit(1)
    s.sendall(f"got lines {n} to {last} in order\n".encode())
    n = last + 1
time.sleep(3)
print("dom0 checks passed", flush=True)
