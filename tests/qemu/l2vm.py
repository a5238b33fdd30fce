#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs the L2 guest under QEMU with KVM and holds it at its power-off.

Usage: l2vm.py --qmp SOCKET --console FILE [--timeout SECONDS]
               [--paused COMMAND] -- QEMU [QEMU ARGS ...]

Starts QEMU with QEMU ARGS plus -no-shutdown -no-reboot, a QMP socket and
the serial console to FILE, and waits on QMP for the guest to power off.
-no-shutdown makes the power-off pause the VM with every vCPU out of
KVM_RUN: the VM still exists and nothing moves.  Then COMMAND runs (sh -c,
with L2_PID set to QEMU's pid), QEMU is told to quit, and l2vm.py exits 0.

A run that does not reach its power-off is a test-bed failure, not a
cvmstat one (guests crash or hang now and then in nested emulation, see
../shared/docs/test-harness.md): the guest reset (a panic, with panic=-1
and -no-reboot), stopped on a KVM internal error, timed out, printed an
oops, or powered off without saying L2-WORK-DONE on its console.  Then
l2vm.py prints one line "L2-TESTBED: what happened", the console's last
lines, kills QEMU and exits 3.

Exit status: 0 done, 1 usage, 2 QEMU did not start or COMMAND failed,
3 test-bed failure.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

DONE = "L2-WORK-DONE"
OOPS = re.compile(r"Oops|BUG:|WARNING:|Kernel panic|general protection|Call Trace")


class Qmp:
    def __init__(self, path, proc, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""
        self.events = []
        self.recv(None)                 # the greeting
        self.cmd("qmp_capabilities")

    def recv(self, deadline):
        while b"\n" not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise EOFError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name):
        self.sock.sendall(json.dumps({"execute": name}).encode() + b"\n")
        while True:
            m = self.recv(time.monotonic() + 30)
            if m is None:
                raise TimeoutError(f"QMP {name}: no answer")
            if "event" in m:
                self.events.append(m)
            elif "return" in m or "error" in m:
                return m

    def event(self, deadline):
        if self.events:
            return self.events.pop(0)
        while True:
            m = self.recv(deadline)
            if m is None or "event" in m:
                return m


def console_tail(path, n=8):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return lines[-n:]


def wait_poweroff(qmp, deadline):
    """None when the guest powered off cleanly, else what happened."""
    while True:
        ev = qmp.event(deadline)
        if ev is None:
            return "no power-off before the timeout (hung)"
        name = ev["event"]
        data = ev.get("data", {})
        if name == "SHUTDOWN":
            reason = data.get("reason", "?")
            if reason != "guest-shutdown":
                return f"shut down by {reason} (a guest reset is a crash: panic=-1)"
            return None
        if name == "GUEST_PANICKED":
            return f"guest panicked: {data}"
        if name == "STOP":
            st = qmp.cmd("query-status").get("return", {}).get("status")
            if st not in ("shutdown", "paused"):
                return f"VM stopped, state {st}"


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--paused", default="true")
    ap.add_argument("qemu", nargs="+")
    a = ap.parse_args()

    for p in (a.qmp, a.console):
        if os.path.exists(p):
            os.unlink(p)
    cmd = a.qemu + ["-no-shutdown", "-no-reboot",
                    "-qmp", f"unix:{a.qmp},server=on,wait=off",
                    "-serial", f"file:{a.console}"]
    start = time.monotonic()
    deadline = start + a.timeout
    qlog = open(a.console + ".qemu", "wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                            stderr=subprocess.STDOUT)
    print(f"l2vm: QEMU pid {proc.pid}: {' '.join(cmd)}", flush=True)

    def finish(rc, what):
        if what:
            print(f"L2-TESTBED: {what}", flush=True)
            for line in console_tail(a.console):
                print(f"  L2 console: {line}")
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(f"l2vm: QEMU exited {proc.returncode} after "
              f"{time.monotonic() - start:.1f} s", flush=True)
        sys.exit(rc)

    try:
        qmp = Qmp(a.qmp, proc, start + 30)
    except (OSError, EOFError, TimeoutError) as e:
        proc.kill()
        proc.wait()
        with open(a.console + ".qemu", "rb") as f:
            sys.stdout.write(f.read().decode("utf-8", "replace"))
        print(f"l2vm: QEMU did not start: {e} (exit {proc.returncode})")
        sys.exit(2)
    try:
        what = wait_poweroff(qmp, deadline)
    except (EOFError, OSError, TimeoutError) as e:
        what = f"QMP: {e}; QEMU exit status {proc.poll()}"
    elapsed = time.monotonic() - start
    if what is None:
        tail = "\n".join(console_tail(a.console, 10**6))
        bad = OOPS.search(tail)
        if bad:
            what = f"the guest kernel complained: {bad.group(0)}"
        elif DONE not in tail:
            what = f"powered off without {DONE}"
    if what is not None:
        if proc.poll() is None:
            proc.kill()
        first = next((l for l in console_tail(a.console, 10**6) if OOPS.search(l)), None)
        finish(3, f"{what} after {elapsed:.1f} s"
               + (f"; console: {first.strip()}" if first else ""))
    print(f"l2vm: powered off after {elapsed:.1f} s, VM held", flush=True)
    env = dict(os.environ, L2_PID=str(proc.pid))
    rc = subprocess.call(["sh", "-c", a.paused], env=env)
    try:
        qmp.cmd("quit")
    except (EOFError, OSError, TimeoutError):
        pass
    if rc != 0:
        print(f"l2vm: the paused command exited {rc}")
    finish(0 if rc == 0 else 2, None)


if __name__ == "__main__":
    main()
