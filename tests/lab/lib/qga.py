# SPDX-License-Identifier: GPL-2.0
"""A QEMU guest agent client for dom0 scripts: the QGA protocol over a channel's socket.

The agent reads JSON requests and answers each with one line of JSON. A client
that (re)connects does not know what the stream holds (answers to requests of an
earlier connection, half a request the agent is still parsing), so it first
sends the byte 0xFF, which resets the agent's parser, and guest-sync-delimited
with a fresh id: the agent prefixes that answer with 0xFF, and everything before
it is stale (qemu-ga-ref(7), "guest-sync-delimited").
"""

import base64
import json
import random
import socket
import time


class QgaError(Exception):
    """The agent answered with an error, or did not answer in time."""


class Agent:
    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""

    def connect(self, timeout=300):
        """Connects to the socket, waiting for QEMU to create it."""
        self.close()
        deadline = time.time() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.path)
                break
            except OSError as e:
                s.close()
                if time.time() > deadline:
                    raise QgaError(f"cannot connect to {self.path}: {e}") from None
                time.sleep(0.5)
        self.sock, self.buf = s, b""

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise QgaError("timeout")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise QgaError("timeout") from None
        if not data:
            raise EOFError("the channel's socket closed (QEMU went away)")
        self.buf += data

    def send(self, obj, sentinel=False):
        self.sock.sendall((b"\xff" if sentinel else b"") + json.dumps(obj).encode() + b"\n")

    def _line(self, deadline):
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def sync(self, timeout=10):
        """One guest-sync-delimited round: True once the stream is aligned."""
        sync_id = random.randrange(1, 2**31)
        self.send({"execute": "guest-sync-delimited", "arguments": {"id": sync_id}}, sentinel=True)
        deadline = time.time() + timeout
        while True:
            while b"\xff" not in self.buf:
                self.buf = b""
                self._fill(deadline)
            self.buf = self.buf[self.buf.index(b"\xff") + 1:]
            line = self._line(deadline)
            try:
                if json.loads(line).get("return") == sync_id:
                    return True
            except ValueError:
                pass

    def wait_ready(self, timeout, each=5, reconnect=True):
        """Syncs until the agent answers; returns the seconds it took.

        Reconnects when QEMU closes the socket (a new QEMU after a reboot or a
        restore creates it again)."""
        t0 = time.time()
        deadline = t0 + timeout
        while True:
            try:
                if self.sock is None:
                    self.connect(max(1, deadline - time.time()))
                self.sync(min(each, max(0.1, deadline - time.time())))
                return time.time() - t0
            except QgaError as e:
                last = e  # no answer yet: ask again
            except (EOFError, OSError) as e:
                if not reconnect:
                    raise
                last = e
                self.close()
                time.sleep(1)
            if time.time() >= deadline:
                raise QgaError(f"no answer to guest-sync-delimited in {timeout} s ({last})")

    def cmd(self, name, args=None, timeout=120):
        """Runs one command; its "return" value, or QgaError."""
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        self.send(req)
        line = self._line(time.time() + timeout)
        self.last_size = len(line) + 1
        try:
            rsp = json.loads(line)
        except ValueError:
            raise QgaError(f"{name}: not JSON: {line[:120]!r}") from None
        if "error" in rsp:
            raise QgaError(f"{name}: {rsp['error'].get('desc', rsp['error'])}")
        if "return" not in rsp:
            raise QgaError(f"{name}: unexpected answer {line[:120]!r}")
        return rsp["return"]

    def send_only(self, name, args=None):
        """A command the agent does not answer on success (guest-shutdown)."""
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        self.send(req)

    # --- files and processes of the guest ------------------------------------

    def read_file(self, path, chunk=65536, timeout=300):
        handle = self.cmd("guest-file-open", {"path": path, "mode": "r"})
        data = b""
        try:
            while True:
                r = self.cmd("guest-file-read", {"handle": handle, "count": chunk}, timeout)
                data += base64.b64decode(r["buf-b64"])
                if r["eof"] or r["count"] == 0:
                    return data
        finally:
            self.cmd("guest-file-close", {"handle": handle})

    def write_file(self, path, data, chunk=65536, timeout=300):
        handle = self.cmd("guest-file-open", {"path": path, "mode": "w"})
        try:
            for i in range(0, len(data), chunk):
                part = data[i:i + chunk]
                r = self.cmd("guest-file-write",
                             {"handle": handle, "buf-b64": base64.b64encode(part).decode()}, timeout)
                if r["count"] != len(part):
                    raise QgaError(f"guest-file-write wrote {r['count']} of {len(part)} bytes")
        finally:
            self.cmd("guest-file-close", {"handle": handle})

    def run(self, argv, env=None, timeout=300):
        """guest-exec with captured output: (exit code, stdout, stderr)."""
        args = {"path": argv[0], "arg": list(argv[1:]), "capture-output": True}
        if env:
            args["env"] = [f"{k}={v}" for k, v in env.items()]
        pid = self.cmd("guest-exec", args)["pid"]
        deadline = time.time() + timeout
        while True:
            st = self.cmd("guest-exec-status", {"pid": pid})
            if st["exited"]:
                out = base64.b64decode(st.get("out-data", "")).decode(errors="replace")
                err = base64.b64decode(st.get("err-data", "")).decode(errors="replace")
                return st.get("exitcode", -st.get("signal", 0) or -1), out, err
            if time.time() > deadline:
                raise QgaError(f"{argv[0]} did not finish in {timeout} s")
            time.sleep(0.3)

    def sh(self, script, timeout=300):
        """A shell command line in the guest: its stdout, or QgaError if it failed."""
        code, out, err = self.run(["/bin/sh", "-c", script], timeout=timeout)
        if code != 0:
            raise QgaError(f"'{script[:60]}' exited {code}: {err.strip()[:200]}")
        return out
