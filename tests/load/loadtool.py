#!/usr/bin/env python3
"""Helpers for run-load.sh (the Veil load harness). Standard library only.

Subcommands:
  ports N                  print N free TCP ports on 127.0.0.1
  wait-smtp PORT SECS PID  wait until 127.0.0.1:PORT greets with 220 (fails early if PID dies)
  cell ...                 one measured cell: smtp-source + a latency probe, end-to-end via the sink's counter
  memtest ...              N concurrent big messages, end-to-end, with Veil's queue states
  veil-e2e CSV             per-sender queue latency (250 -> relayed) from Veil's spool table (CSV export)
  postfix-e2e MAILLOG      per-sender delivery delay from a Postfix maillog_file
  jfr-summary FILE         hot spots of a JFR recording of Veil
  table RESULTS VEIL_E2E POSTFIX_E2E   the report

Only loopback is ever contacted. Every wait has a deadline.
"""
import argparse
import csv
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

HOST = "127.0.0.1"


# --------------------------------------------------------------------------------------------- small things

def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind((HOST, 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def pid_alive(pid):
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_smtp(port, secs, pid):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            print(f"process {pid} exited before 127.0.0.1:{port} answered", file=sys.stderr)
            return 1
        try:
            with socket.create_connection((HOST, port), timeout=5) as s:
                f = s.makefile("rb")
                line = f.readline()
                if line.startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return 0
        except OSError:
            pass
        time.sleep(0.25)
    print(f"127.0.0.1:{port} did not greet with 220 within {secs}s", file=sys.stderr)
    return 1


_MESG = re.compile(rb"mesg=(\d+)\r")


def sink_count(path):
    """smtp-sink -c writes 'sess=N quit=N mesg=N\\r' on every '.', QUIT and session end; the last complete one."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 512))
            tail = f.read()
    except OSError:
        return 0
    found = _MESG.findall(tail)
    return int(found[-1]) if found else 0


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100); None for no values. With fewer than 100 values p99 is the maximum."""
    if not values:
        return None
    v = sorted(values)
    k = max(1, math.ceil(p / 100.0 * len(v)))
    return v[k - 1]


def cpu_ticks_total():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return sum(vals[:8]), idle


def stat_fields(path):
    """(comm, fields after it) of a /proc .../stat file, or (None, None). fields[0] is the state (field 3):
    ppid=4, utime=14, stime=15, cutime=16, cstime=17 -> indexes 1 and 11..14."""
    try:
        with open(path) as f:
            text = f.read()
        return text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None, None


def proc_cpu_ticks(pid):
    """utime+stime of pid plus reaped children (cutime+cstime) plus its live children: covers a JVM as well as a
    Postfix master whose daemons come and go."""
    def stat(p):
        _, fields = stat_fields(f"/proc/{p}/stat")
        try:
            return int(fields[1]), [int(x) for x in fields[11:15]]
        except (TypeError, IndexError, ValueError):
            return None, None
    _, own = stat(pid)
    if own is None:
        return None
    total = sum(own)
    for d in os.listdir("/proc"):
        if d.isdigit():
            ppid, t = stat(d)
            if ppid == pid and t:
                total += t[0] + t[1]
    return total


# "jit": HotSpot's compiler threads ("C1 CompilerThre...", "C2 CompilerThre...")
THREAD_GROUPS = (("smtp", lambda c: c.startswith("veil-smtp")), ("worker", lambda c: c.startswith("veil-worker")),
                 ("jit", lambda c: "Compiler" in c),
                 ("gc", lambda c: c.startswith(("GC Thread", "G1 ", "VM Thread", "VM Periodic"))))


def thread_group_ticks(pid):
    """utime+stime of a JVM's threads by what they do (THREAD_GROUPS, the rest 'other'); threads that ended during a
    cell drop out, so a group's difference can be a little low (Veil's smtp and worker threads are pooled; the cell
    takes 'other' from the process's total instead)."""
    out = {name: 0 for name, _ in THREAD_GROUPS}
    out["other"] = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        comm, fields = stat_fields(f"/proc/{pid}/task/{t}/stat")
        if comm is None:
            continue
        group = next((name for name, test in THREAD_GROUPS if test(comm)), "other")
        out[group] += int(fields[11]) + int(fields[12])
    return out


def step_cpu_us(admin_port, token_file):
    """Veil's per-step CPU counters (admin /metrics, step.NAME.cpu-us and step.NAME.runs), or None."""
    try:
        token = open(token_file).read().strip()
        counters = admin_get(admin_port, token, "/metrics").get("counters", {})
    except Exception:
        return None
    return {name[len("step."):]: c["count"] for name, c in counters.items()
            if name.startswith("step.") and (name.endswith(".cpu-us") or name.endswith(".runs"))}


# --------------------------------------------------------------------------------------------- latency probe

class Probe(threading.Thread):
    """One SMTP session (like one of smtp-source's: a new connection per message unless persistent) that times
    each transaction from MAIL FROM to the reply after the final '.'."""

    def __init__(self, port, size, sender, rcpt, persistent, max_msgs, timeout):
        super().__init__(daemon=True)
        self.port, self.sender, self.rcpt = port, sender, rcpt
        self.persistent, self.max_msgs, self.timeout = persistent, max_msgs, timeout
        line = b"X" * 78 + b"\r\n"
        self.body = (line * (size // len(line) + 1))[:size]
        if not self.body.endswith(b"\r\n"):
            self.body = self.body[:-2] + b"\r\n"
        self.stop = threading.Event()
        self.latencies = []     # seconds, accepted messages only
        self.queue_ids = []
        self.ok = 0
        self.failed = 0
        self.errors = []
        self.sock = None
        self.rfile = None

    def _reply(self):
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                raise OSError("connection closed by server")
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(lines[-1][:3]), "\n".join(lines)

    def _cmd(self, text, want):
        self.sock.sendall(text.encode() + b"\r\n")
        code, msg = self._reply()
        if code // 100 != want:
            raise ProtocolError(f"{text.split(':')[0]} -> {msg}")
        return msg

    def _connect(self):
        self.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
        self.rfile = self.sock.makefile("rb")
        code, msg = self._reply()
        if code != 220:
            raise ProtocolError(f"greeting -> {msg}")
        self._cmd("EHLO probe.localdomain", 2)

    def _close(self, quit=True):
        if self.sock is None:
            return
        try:
            if quit:
                self._cmd("QUIT", 2)
        except (OSError, ProtocolError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.sock = self.rfile = None

    def run(self):
        n = 0
        while not self.stop.is_set() and n < self.max_msgs:
            n += 1
            try:
                if self.sock is None:
                    self._connect()
                header = (f"From: <{self.sender}>\r\nTo: <{self.rcpt}>\r\nSubject: veil load probe {n}\r\n"
                          f"Message-ID: <probe-{os.getpid()}-{n}-{time.time_ns()}@probe.localdomain>\r\n\r\n").encode()
                t0 = time.perf_counter()
                self._cmd(f"MAIL FROM:<{self.sender}>", 2)
                self._cmd(f"RCPT TO:<{self.rcpt}>", 2)
                self._cmd("DATA", 3)
                self.sock.sendall(header + self.body + b".\r\n")
                code, msg = self._reply()
                t1 = time.perf_counter()
                if code == 250:
                    self.ok += 1
                    self.latencies.append(t1 - t0)
                    m = re.search(r"queued as (\S+)", msg)
                    if m:
                        self.queue_ids.append(m.group(1))
                else:
                    self.failed += 1
                    self.errors.append(f"DATA end -> {msg}")
                if not self.persistent:
                    self._close()
            except (OSError, ProtocolError) as e:
                self.failed += 1
                self.errors.append(str(e))
                self._close(quit=False)
                time.sleep(0.2)
        self._close()


class ProtocolError(Exception):
    pass


# --------------------------------------------------------------------------------------------- admin API

def admin_get(admin_port, token, path):
    req = urllib.request.Request(f"http://{HOST}:{admin_port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def veil_state_counts(admin_port, token_file, states=("received", "processing", "deferred", "bounced", "quarantined"),
                      settle=15.0):
    """Entries per unfinished or failed state. The sink counts a message at its '.', a moment before Veil marks
    it relayed, so received/processing get up to `settle` seconds to drain."""
    deadline = time.monotonic() + settle
    try:
        token = open(token_file).read().strip()
        while True:
            out = {}
            for st in states:
                out[st] = len(admin_get(admin_port, token, f"/queue?state={st}&limit=100000")["entries"])
            if out.get("received", 0) + out.get("processing", 0) == 0 or time.monotonic() > deadline:
                return out
            time.sleep(0.2)
    except Exception as e:  # the report says so; the cell still counts
        return {"error": str(e)}


def veil_entries(admin_port, token_file, limit):
    token = open(token_file).read().strip()
    return admin_get(admin_port, token, f"/queue?limit={limit}")["entries"]


# --------------------------------------------------------------------------------------------- one cell

_current_source = None


def _terminate(signum, frame):
    if _current_source is not None and _current_source.poll() is None:
        _current_source.kill()
    sys.exit(128 + signum)


def run_source(args, sessions, count, size, sender, deadline):
    global _current_source
    cmd = [args.smtp_source, "-s", str(sessions), "-m", str(count), "-l", str(size), "-f", sender,
           "-t", args.rcpt, "-M", "load.localdomain"] + (["-d"] if args.persistent else []) \
        + [f"{HOST}:{args.port}"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _current_source = p
    return p


def wait_sink(path, expected, deadline, stall):
    """Polls the sink counter until it reaches expected; gives up at the deadline or after stall seconds without
    progress. Returns (count, monotonic time the count was first seen, reason)."""
    last, last_change = sink_count(path), time.monotonic()
    while True:
        now = time.monotonic()
        c = sink_count(path)
        if c >= expected:
            return c, now, "ok"
        if c != last:
            last, last_change = c, now
        if now > deadline:
            return c, now, "timeout"
        if now - last_change > stall:
            return c, now, "stalled"
        time.sleep(0.02)


def load_generator_priority():
    """smtp-source, the probe and the sinks run at nice -5 so that, on a busy machine, they are not what limits."""
    try:
        os.nice(-5)
    except OSError:
        pass


def cell(args):
    load_generator_priority()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    start_wall = time.time()
    deadline = time.monotonic() + args.timeout
    base = sink_count(args.sink_out)
    load1 = os.getloadavg()[0]
    sys0, idle0 = cpu_ticks_total()
    cpu0 = proc_cpu_ticks(args.cpu_pid) if args.cpu_pid else None
    groups0 = thread_group_ticks(args.cpu_pid) if args.cpu_pid and args.system != "postfix" else None
    jit0 = groups0["jit"] if groups0 else None
    steps0 = step_cpu_us(args.admin_port, args.token_file) if args.admin_port else None

    probe_sessions = 1 if (args.probe_max > 0 and args.sessions > 1) else 0
    src_sessions = args.sessions - probe_sessions
    t0 = time.monotonic()
    src = run_source(args, src_sessions, args.count, args.size, args.sender, deadline)
    probe = None
    if probe_sessions:
        probe = Probe(args.port, args.size, args.probe_sender, args.rcpt, args.persistent, args.probe_max,
                      timeout=max(30, args.timeout))
        probe.start()
    try:
        src.wait(timeout=max(1, deadline - time.monotonic()))
        src_rc = src.returncode
    except subprocess.TimeoutExpired:
        src.kill()
        src.wait()
        src_rc = "killed (cell timeout)"
    t_accept = time.monotonic() - t0
    if probe:
        probe.stop.set()
        probe.join(timeout=max(1, deadline - time.monotonic()))
    src_err = src.stderr.read().decode("utf-8", "replace").strip().splitlines()
    probe_ok = probe.ok if probe else 0

    sent = args.count + probe_ok
    expected = base + sent
    if src_rc != 0:
        # smtp-source gave up part way: nobody knows how many were accepted; wait until the sink is quiet
        expected = base + 10 ** 12
    got, t_seen, reason = wait_sink(args.sink_out, expected, deadline, args.stall)
    elapsed = t_seen - t0
    delivered = got - base
    if src_rc != 0:
        reason = "smtp-source failed"

    sys1, idle1 = cpu_ticks_total()
    cpu1 = proc_cpu_ticks(args.cpu_pid) if args.cpu_pid else None
    groups1 = thread_group_ticks(args.cpu_pid) if groups0 is not None else None
    jit1 = groups1["jit"] if groups1 else None
    hz = os.sysconf("SC_CLK_TCK")
    busy = 1.0 - (idle1 - idle0) / max(1, sys1 - sys0)
    lat = [x * 1000 for x in (probe.latencies if probe else [])]
    result = {
        "system": args.system, "size": args.size, "sessions": args.sessions, "count": args.count,
        "turn": args.turn, "sender": args.sender, "probe_sender": args.probe_sender, "started": start_wall,
        "status": reason, "smtp_source_rc": src_rc, "smtp_source_stderr": src_err[-5:],
        "sent": sent, "delivered": delivered, "elapsed_s": round(elapsed, 3),
        "rate": round(delivered / elapsed, 1) if elapsed > 0 else None,
        "accept_elapsed_s": round(t_accept, 3),
        "accept_rate": round(sent / t_accept, 1) if t_accept > 0 else None,
        "probe_ok": probe_ok, "probe_failed": probe.failed if probe else 0,
        "probe_errors": (probe.errors[:3] if probe else []),
        "accept_p50_ms": round(percentile(lat, 50), 1) if lat else None,
        "accept_p99_ms": round(percentile(lat, 99), 1) if lat else None,
        "accept_n": len(lat), "loadavg_before": round(load1, 2), "machine_busy": round(busy, 3),
    }
    if cpu0 is not None and cpu1 is not None and delivered > 0:
        result["cpu_ms_per_msg"] = round((cpu1 - cpu0) / hz * 1000 / delivered, 2)
        result["cpu_cores_used"] = round((cpu1 - cpu0) / hz / elapsed, 2)
    if jit0 is not None and jit1 is not None and delivered > 0:
        result["jit_ms_per_msg"] = round((jit1 - jit0) / hz * 1000 / delivered, 2)
    if groups0 and groups1 and delivered > 0:
        ticks = {g: groups1[g] - groups0[g] for g in groups0}
        if cpu0 is not None and cpu1 is not None:
            # the process's own count keeps the time of threads that ended during the cell: 'other' is the rest
            ticks["other"] = (cpu1 - cpu0) - sum(v for g, v in ticks.items() if g != "other")
        result["threads_ms_per_msg"] = {g: round(v / hz * 1000 / delivered, 3) for g, v in ticks.items()}
    if args.admin_port:
        result["queue_states"] = veil_state_counts(args.admin_port, args.token_file)
        steps1 = step_cpu_us(args.admin_port, args.token_file) if steps0 is not None else None
        if steps1 and delivered > 0:
            result["steps_ms_per_msg"] = {k[:-len(".cpu-us")]: round((v - steps0.get(k, 0)) / 1000 / delivered, 3)
                                          for k, v in steps1.items() if k.endswith(".cpu-us")}
    with open(args.out, "a") as f:
        f.write(json.dumps(result) + "\n")
    label = f"{args.system:11s} {human(args.size):>6s} x{args.sessions:<3d}"
    print(f"  {label} {delivered}/{sent} delivered in {elapsed:.1f}s = {result['rate']} msg/s end-to-end "
          f"(accepted in {t_accept:.1f}s = {result['accept_rate']} msg/s); accept p50/p99 "
          f"{fmt(result['accept_p50_ms'])}/{fmt(result['accept_p99_ms'])} ms (n={len(lat)}); {reason}"
          + (f"; Veil queue {result['queue_states']}" if args.admin_port else ""), flush=True)
    for line in src_err[-3:]:
        print(f"    smtp-source: {line}")
    if probe and probe.errors:
        print(f"    probe errors ({probe.failed}): {probe.errors[:3]}")
    return 0 if reason == "ok" else 2


# --------------------------------------------------------------------------------------------- memory test

def memtest(args):
    load_generator_priority()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    deadline = time.monotonic() + args.timeout
    base = sink_count(args.sink_out)
    t0 = time.monotonic()
    src = run_source(args, args.sessions, args.count, args.size, args.sender, deadline)
    try:
        src.wait(timeout=max(1, deadline - time.monotonic()))
        rc = src.returncode
    except subprocess.TimeoutExpired:
        src.kill()
        src.wait()
        rc = "killed (timeout)"
    t_accept = time.monotonic() - t0
    err = src.stderr.read().decode("utf-8", "replace").strip().splitlines()
    expected = base + args.count if rc == 0 else base + 10 ** 12
    got, t_seen, reason = wait_sink(args.sink_out, expected, deadline, args.stall)
    settle = time.monotonic() + 30  # the sink counts at '.', Veil marks the entry relayed a moment later
    while True:
        states = {}
        try:
            for e in veil_entries(args.admin_port, args.token_file, 5000):
                if e.get("sender") == args.sender:
                    states[e["state"]] = states.get(e["state"], 0) + 1
        except Exception as e:
            states = {"error": str(e)}
            break
        if states.get("received", 0) + states.get("processing", 0) == 0 or time.monotonic() > settle:
            break
        time.sleep(0.2)
    ok = rc == 0 and got - base == args.count and states.get("relayed") == args.count
    print(f"  {args.count} x {human(args.size)} over {args.sessions} concurrent sessions: smtp-source rc={rc} "
          f"(all accepted after {t_accept:.1f}s), sink got {got - base}/{args.count} after {t_seen - t0:.1f}s, "
          f"Veil states {states} -> {'PASS' if ok else 'FAIL'}")
    for line in err[-5:]:
        print(f"    smtp-source: {line}")
    with open(args.out, "w") as f:
        json.dump({"ok": ok, "smtp_source_rc": rc, "delivered": got - base, "states": states,
                   "accept_s": round(t_accept, 1), "elapsed_s": round(t_seen - t0, 1), "stderr": err[-5:]}, f)
    return 0 if ok else 2


# --------------------------------------------------------------------------------------------- end-to-end latency

def veil_e2e(path):
    """CSV of SENDER,STATE,RECEIVED_AT,UPDATED_AT (epoch ms) -> per sender: relayed latency 250 -> relayed."""
    groups = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            g = groups.setdefault(row["SENDER"], {"lat": [], "states": {}, "first": None, "last": None})
            st = row["STATE"].lower()
            g["states"][st] = g["states"].get(st, 0) + 1
            if st == "relayed":
                r, u = int(row["RECEIVED_AT"]), int(row["UPDATED_AT"])
                g["lat"].append(u - r)
    return {s: summarize(g["lat"], g["states"]) for s, g in groups.items()}


_PF_FROM = re.compile(r"\]: ([0-9A-F]{6,}|[0-9A-Za-z]{12,}): from=<([^>]*)>")
_PF_SENT = re.compile(r"\]: ([0-9A-F]{6,}|[0-9A-Za-z]{12,}): to=<[^>]*>,.* delay=([0-9.]+),.* status=(\w+)")


def postfix_e2e(path):
    """Postfix maillog_file -> per sender: 'delay=' (arrival -> delivered) of status=sent deliveries."""
    sender_of, groups = {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            m = _PF_FROM.search(line)
            if m:
                sender_of[m.group(1)] = m.group(2)
                continue
            m = _PF_SENT.search(line)
            if m:
                s = sender_of.get(m.group(1), "?")
                g = groups.setdefault(s, {"lat": [], "states": {}})
                g["states"][m.group(3)] = g["states"].get(m.group(3), 0) + 1
                if m.group(3) == "sent":
                    g["lat"].append(float(m.group(2)) * 1000)
    return {s: summarize(g["lat"], g["states"]) for s, g in groups.items()}


def summarize(lat, states):
    return {"n": len(lat), "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
            "max_ms": max(lat) if lat else None, "states": states}


# --------------------------------------------------------------------------------------------- profile

def jfr_summary(path, top=30):
    """Where Veil's threads spend their time, from a JFR recording (LOAD_VEIL_PROFILE=1): CPU samples
    (jdk.ExecutionSample) by inclusive frame, and blocked/native samples (jdk.NativeMethodSample) by the native
    call and the first Veil/H2/Jakarta Mail frame above it. Startup (thread 'main') is left out."""
    import collections
    def events(kind):
        out = subprocess.run(["jfr", "print", "--stack-depth", "128", "--events", kind, path],
                             capture_output=True, text=True, check=True).stdout
        for e in out.split(kind + " {")[1:]:
            t = re.search(r'sampledThread = "([^"]*)"', e)
            thread = re.sub(r"\d+", "N", t.group(1)) if t else "?"
            frames = re.findall(r"^\s+([\w.$<>]+)\(.*?\)\s+line:", e, re.M)
            if frames and thread != "main":
                yield thread, frames
    interesting = ("dev.veil.", "org.h2.command.Command.executeUpdate", "org.h2.mvstore.MVStore.commit",
                   "org.h2.mvstore.FileStore.storeIt", "java.math.BigInteger.modPow", "org.apache.james.protocols",
                   "org.eclipse.angus.mail.smtp.SMTPTransport.sendMessage", "io.netty.channel.nio.NioEventLoop.run",
                   "org.bouncycastle.cms", "javax.crypto.Cipher.doFinal", "javax.crypto.Cipher.update")
    incl, threads, n = collections.Counter(), collections.Counter(), 0
    for thread, frames in events("jdk.ExecutionSample"):
        n += 1
        threads[thread] += 1
        for f in set(frames):
            if f.startswith(interesting):
                incl[f] += 1
    print(f"CPU samples (jdk.ExecutionSample, startup excluded): {n}; by thread: "
          + ", ".join(f"{t} {c * 100 // max(1, n)}%" for t, c in threads.most_common(6)))
    for f, c in incl.most_common(top):
        print(f"  {c * 100.0 / max(1, n):5.1f}%  {f}")
    blocked, m = collections.Counter(), 0
    for thread, frames in events("jdk.NativeMethodSample"):
        if not thread.startswith(("veil-worker", "veil-smtp")):
            continue
        m += 1
        app = next((f for f in frames if f.startswith(("dev.veil", "org.h2", "org.eclipse.angus"))), "-")
        blocked[(thread, frames[0].rsplit(".", 1)[-1], app)] += 1
    print(f"Blocked/native samples of veil-worker-* and veil-smtp-* threads (jdk.NativeMethodSample): {m}")
    for (thread, native, app), c in blocked.most_common(12):
        print(f"  {c * 100.0 / max(1, m):5.1f}%  {thread:16s} {native:12s} under {app}")


# --------------------------------------------------------------------------------------------- report

def human(size):
    size = int(size)
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10} KB"
    return f"{size} B"


def fmt(x, nd=0):
    if x is None:
        return "-"
    if isinstance(x, float) and nd == 0 and x < 10:
        return f"{x:.1f}"
    return f"{x:.{nd}f}"


def pair(a, b):
    return f"{fmt(a)}/{fmt(b)}"


def median_turn(turns):
    """The turn whose rate is the median (the slower middle one of an even count), so its latencies go with it."""
    rated = sorted((r for r in turns if r.get("rate")), key=lambda r: r["rate"])
    return rated[(len(rated) - 1) // 2] if rated else (turns[0] if turns else None)


def turn_ratios(a_turns, b_turns):
    """a's rate / b's rate for each turn both were measured in."""
    b_rate = {r.get("turn", 1): r.get("rate") for r in b_turns}
    return [r["rate"] / b_rate[r.get("turn", 1)] for r in a_turns
            if r.get("rate") and b_rate.get(r.get("turn", 1))]


def weighted_mean(turns, key):
    """Per-message figures (a dict per turn) averaged over the turns, each weighted by the messages it delivered."""
    total = sum(r["delivered"] for r in turns if r.get(key))
    names = {k for r in turns for k in r.get(key, {})}
    return {k: sum(r[key].get(k, 0) * r["delivered"] for r in turns if r.get(key)) / total for k in names} \
        if total else {}


def versus(ratio, target):
    """The ratio to two places, or three where two would round it up to the target it misses (0.797 -> 0.797x)."""
    text = f"{ratio:.2f}"
    return (f"{ratio:.3f}" if ratio < target and float(text) >= target else text) + "x"


def table(results_path, veil_e2e_path, postfix_e2e_path):
    rows = [json.loads(l) for l in open(results_path) if l.strip()]
    ve = json.load(open(veil_e2e_path)) if veil_e2e_path and os.path.exists(veil_e2e_path) else {}
    pe = json.load(open(postfix_e2e_path)) if postfix_e2e_path and os.path.exists(postfix_e2e_path) else {}
    turns = {}   # (size, sessions) -> system -> [result of each turn]
    for r in rows:
        turns.setdefault((r["size"], r["sessions"]), {}).setdefault(r["system"], []).append(r)
    n_turns = max((len(t) for c in turns.values() for t in c.values()), default=1)

    def e2e(system, r):
        if not r:
            return None
        return (ve if system.startswith("veil") else pe).get(r["sender"])

    def span(ratios):
        return f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else "-"

    head = (f"{'size':>6s} {'sess':>4s} | {'Veil msg/s':>10s} {'Postfix msg/s':>13s} {'Veil/Postfix':>12s} "
            f"{'per turn':>9s} | {'pseudo msg/s':>12s} {'pseudo/Veil':>11s} {'per turn':>9s} | "
            f"{'accept p50/p99 ms':>17s} {'accept p50/p99 ms':>17s} | {'e2e p50/p99 ms':>15s} {'e2e p50/p99 ms':>15s}")
    sub = (f"{'':>6s} {'':>4s} | {'(end-to-end)':>10s} {'(end-to-end)':>13s} {'':>12s} {'':>9s} | "
           f"{'(end-to-end)':>12s} {'':>11s} {'':>9s} | "
           f"{'Veil':>17s} {'Postfix':>17s} | {'Veil':>15s} {'Postfix':>15s}")
    print(head)
    print(sub)
    print("-" * len(head))
    worst = worst_pseudo = worst_turn = worst_pseudo_turn = None
    for (size, sess) in sorted(turns):
        c = turns[(size, sess)]
        v, p, ps = (median_turn(c.get(name, [])) for name in ("veil", "postfix", "veil-pseudo"))
        ratio = (v["rate"] / p["rate"]) if v and p and v.get("rate") and p.get("rate") else None
        pratio = (ps["rate"] / v["rate"]) if v and ps and v.get("rate") and ps.get("rate") else None
        each = turn_ratios(c.get("veil", []), c.get("postfix", []))
        peach = turn_ratios(c.get("veil-pseudo", []), c.get("veil", []))
        if ratio is not None:
            worst = ratio if worst is None else min(worst, ratio)
        if pratio is not None:
            worst_pseudo = pratio if worst_pseudo is None else min(worst_pseudo, pratio)
        if each:
            worst_turn = min(each + ([worst_turn] if worst_turn is not None else []))
        if peach:
            worst_pseudo_turn = min(peach + ([worst_pseudo_turn] if worst_pseudo_turn is not None else []))
        # '!' when any turn of that system did not finish cleanly
        flag = lambda name: "" if all(r["status"] == "ok" for r in c.get(name, [])) else "!"
        ve2e, pe2e = e2e("veil", v), e2e("postfix", p)
        print(f"{human(size):>6s} {sess:>4d} | "
              f"{(fmt(v['rate'], 1) + flag('veil')) if v else '-':>10s} "
              f"{(fmt(p['rate'], 1) + flag('postfix')) if p else '-':>13s} "
              f"{(f'{ratio:.2f}x') if ratio is not None else '-':>12s} {span(each):>9s} | "
              f"{(fmt(ps['rate'], 1) + flag('veil-pseudo')) if ps else '-':>12s} "
              f"{(f'{pratio:.2f}x') if pratio is not None else '-':>11s} {span(peach):>9s} | "
              f"{pair(v['accept_p50_ms'], v['accept_p99_ms']) if v else '-':>17s} "
              f"{pair(p['accept_p50_ms'], p['accept_p99_ms']) if p else '-':>17s} | "
              f"{pair(ve2e['p50_ms'], ve2e['p99_ms']) if ve2e else '-':>15s} "
              f"{pair(pe2e['p50_ms'], pe2e['p99_ms']) if pe2e else '-':>15s}")
    print()
    print("msg/s end-to-end: messages sent (smtp-source + probe) / time from the first connection until the sink "
          "had them all.")
    print("accept p50/p99: probe session, MAIL FROM -> 250 after the final '.', under the cell's load "
          "(p99 of fewer than 100 samples is the maximum; n below).")
    print("e2e: Veil = spool row received_at (just before the 250) -> relayed to the sink; Postfix = 'delay=' "
          "of status=sent (arrival incl. transfer -> sink said 250); smtp-source's messages only.")
    print("pseudo: a second Veil (same jar, keys of its own) with the same encryption, whose rule also "
          "pseudonymises correspondents (aliases, Message-ID tokens, alias directory) and whose pipeline ARC-seals "
          "what it relays (arc-seal; no sender authentication); one correspondent per cell, so after its first "
          "message the alias comes from the directory's cache. Both Veils run throughout; only one is loaded.")
    print(f"msg/s: each system's median over its {n_turns} turn(s) (the slower middle one of an even count); the "
          "latencies are that turn's. Ratios are of the medians; 'per turn': the lowest and highest ratio of one "
          "turn's two cells (systems take turns; every other turn in the opposite order).")
    print("'!' after a rate: a turn of that cell did not finish cleanly (see details).")
    if worst is not None:
        print(f"\nLowest Veil/Postfix ratio: {versus(worst, 1.0)} (target: >= 1.00x at every size) -> "
              f"{'MET' if worst >= 1.0 else 'NOT MET'}"
              + (f"; lowest in a single turn: {worst_turn:.2f}x" if n_turns > 1 and worst_turn is not None else ""))
    if worst_pseudo is not None:
        print(f"Lowest pseudonymise+ARC+encrypt / encrypt-only ratio: {versus(worst_pseudo, 0.8)} (target: >= 0.80x) -> "
              f"{'MET' if worst_pseudo >= 0.8 else 'NOT MET'}"
              + (f"; lowest in a single turn: {worst_pseudo_turn:.2f}x"
                 if n_turns > 1 and worst_pseudo_turn is not None else ""))
    print("\nDetails:")
    print(f"{'system':>11s} {'size':>6s} {'sess':>4s} {'turn':>4s} {'sent':>6s} {'deliv':>6s} {'secs':>7s} "
          f"{'msg/s':>7s} {'accept/s':>9s} {'probe n':>7s} {'cpu ms/msg':>10s} {'jit':>5s} {'cores':>5s} "
          f"{'busy':>5s} {'load':>5s}  status / queue")
    for (size, sess) in sorted(turns):
        for system in ("veil", "veil-pseudo", "postfix"):
            for r in sorted(turns[(size, sess)].get(system, []), key=lambda r: r.get("turn", 1)):
                extra = r["status"]
                if r.get("queue_states"):
                    bad = {k: v for k, v in r["queue_states"].items() if v}
                    extra += f" queue:{bad or 'clean'}"
                if r.get("probe_failed"):
                    extra += f" probe_failed={r['probe_failed']}"
                if r.get("smtp_source_rc") != 0:
                    extra += f" smtp-source rc={r['smtp_source_rc']}"
                print(f"{system:>11s} {human(size):>6s} {sess:>4d} {r.get('turn', 1):>4d} {r['sent']:>6d} "
                      f"{r['delivered']:>6d} {r['elapsed_s']:>7.1f} {fmt(r['rate'], 1):>7s} "
                      f"{fmt(r['accept_rate'], 1):>9s} {r['accept_n']:>7d} "
                      f"{fmt(r.get('cpu_ms_per_msg'), 2):>10s} {fmt(r.get('jit_ms_per_msg'), 2):>5s} "
                      f"{fmt(r.get('cpu_cores_used'), 2):>5s} "
                      f"{r['machine_busy'] * 100:>4.0f}% {r['loadavg_before']:>5.1f}  {extra}")
    print("cpu ms/msg, cores: CPU of the system under test (Veil's JVM; Postfix's master and its daemons) per "
          "delivered message, and on average during the cell; jit: the part of Veil's cpu ms/msg spent by its JIT "
          "compiler threads (the warm-up runs until they are quiet, see LOAD_WARMUP_ROUNDS); "
          "busy: whole machine (smtp-source and sink "
          "included); load: 1-min load average before the cell (other work on the machine skews the figures).")
    where = [(size, sess, system, turns[(size, sess)][system]) for (size, sess) in sorted(turns)
             for system in ("veil", "veil-pseudo")
             if any(r.get("threads_ms_per_msg") for r in turns[(size, sess)].get(system, []))]
    if where:
        where = [(size, sess, system, weighted_mean(ts, "threads_ms_per_msg"), weighted_mean(ts, "steps_ms_per_msg"))
                 for size, sess, system, ts in where]
        steps = sorted({k for *_, st in where for k in st}, key=lambda k: -max(st.get(k, 0) for *_, st in where))
        groups = [name for name, _ in THREAD_GROUPS] + ["other"]
        print(f"\nWhere Veil's CPU went, ms per delivered message over its {n_turns} turn(s) (threads: /proc, 10 ms "
              "ticks; steps: Veil's own thread-CPU counters, part of 'worker'):")
        print(f"{'system':>11s} {'size':>6s} {'sess':>4s} " + " ".join(f"{g:>6s}" for g in groups) + " | "
              + " ".join(f"{k[:14]:>14s}" for k in steps))
        for size, sess, system, t, st in where:
            print(f"{system:>11s} {human(size):>6s} {sess:>4d} " + " ".join(f"{t.get(g, 0):>6.2f}" for g in groups)
                  + " | " + " ".join(f"{st[k]:>14.3f}" if k in st else f"{'-':>14s}" for k in steps))


# --------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("ports")
    p.add_argument("n", type=int)
    p = sp.add_parser("wait-smtp")
    p.add_argument("port", type=int)
    p.add_argument("secs", type=float)
    p.add_argument("pid", type=int, nargs="?", default=0)
    p = sp.add_parser("sink-count")
    p.add_argument("path")
    for name in ("cell", "memtest"):
        p = sp.add_parser(name)
        p.add_argument("--system", required=True)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--size", type=int, required=True)
        p.add_argument("--sessions", type=int, required=True)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--sender", required=True)
        p.add_argument("--probe-sender", default="")
        p.add_argument("--rcpt", required=True)
        p.add_argument("--sink-out", required=True)
        p.add_argument("--timeout", type=float, default=300)
        p.add_argument("--stall", type=float, default=60)
        p.add_argument("--probe-max", type=int, default=2000)
        p.add_argument("--persistent", action="store_true")
        p.add_argument("--admin-port", type=int, default=0)
        p.add_argument("--token-file", default="")
        p.add_argument("--cpu-pid", type=int, default=0)
        p.add_argument("--smtp-source", default="/usr/sbin/smtp-source")
        p.add_argument("--turn", type=int, default=1)
        p.add_argument("--out", required=True)
    p = sp.add_parser("veil-e2e")
    p.add_argument("csv")
    p = sp.add_parser("postfix-e2e")
    p.add_argument("maillog")
    p = sp.add_parser("jfr-summary")
    p.add_argument("jfr")
    p = sp.add_parser("table")
    p.add_argument("results")
    p.add_argument("veil_e2e", nargs="?")
    p.add_argument("postfix_e2e", nargs="?")
    a = ap.parse_args()
    if a.cmd == "ports":
        print(" ".join(map(str, free_ports(a.n))))
    elif a.cmd == "wait-smtp":
        return wait_smtp(a.port, a.secs, a.pid)
    elif a.cmd == "sink-count":
        print(sink_count(a.path))
    elif a.cmd == "cell":
        return cell(a)
    elif a.cmd == "memtest":
        return memtest(a)
    elif a.cmd == "veil-e2e":
        json.dump(veil_e2e(a.csv), sys.stdout)
    elif a.cmd == "postfix-e2e":
        json.dump(postfix_e2e(a.maillog), sys.stdout)
    elif a.cmd == "jfr-summary":
        jfr_summary(a.jfr)
    elif a.cmd == "table":
        table(a.results, a.veil_e2e, a.postfix_e2e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
