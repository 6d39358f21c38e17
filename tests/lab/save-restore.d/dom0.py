# dom0 side of tests/lab/save-restore, inlined into the dom0 script.
import os, socket, subprocess, sys, time

domu = sys.argv[1]
path = "/run/xc-sr.sock"
image = "/var/lib/xen/save-restore.img"


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


s = connect()
s.sendall(b"HELLO\n")
got = read_lines(s, b"", 1)
s.sendall(b"ack line-1\n")
time.sleep(3)
s.sendall(b"sent before the save\n")
time.sleep(1)
# The lab must not take the domain's absence for its end.
open("/run/lab/domu-away", "w").close()
t0 = time.time()
subprocess.run(["xl", "save", domu, image], check=True)
print(f"saved in {time.time() - t0:.0f} s", flush=True)
s.setblocking(False)
try:
    while data := s.recv(65536):
        got += data
except (BlockingIOError, OSError):
    pass
s.close()
t0 = time.time()
subprocess.run(["xl", "restore", image], check=True)
print(f"restored in {time.time() - t0:.0f} s", flush=True)
os.unlink("/run/lab/domu-away")
s = connect()
got = read_lines(s, got, 40)
lines = [l for l in got.decode(errors="replace").splitlines() if l]
want = [f"line-{i}" for i in range(1, 41)]
print(f"dom0 got {len(lines)} lines: {lines[:2]} .. {lines[-2:]}", flush=True)
if lines != want:
    missing = [l for l in want if l not in lines]
    extra = [l for l in lines if l not in want]
    dups = len(lines) - len(set(lines))
    print(f"FAIL: missing {missing}, unexpected {extra}, duplicates {dups}", flush=True)
    s.sendall(b"lines missing, repeated or out of order\n")
    time.sleep(3)
    sys.exit(1)
s.sendall(b"got 40 lines in order\n")
time.sleep(3)
print("dom0 checks passed", flush=True)
