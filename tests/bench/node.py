"""Helpers for tests/bench/run.sh.

free-ports N
    Prints N TCP ports that are free on 127.0.0.1 (and ::1 when it exists).

simulate RUNS PROMISE_DIR HAVE_URL
    A SlapOS node's promise loop: RUNS promise runs in sequence, each run the way
    slapgrid runs a legacy promise (the file itself, no arguments, working folder
    the partition, stdin /dev/null, stdout and stderr merged into one pipe, read
    to the end). The same sequence of checks runs twice: with our wrappers
    (ours-*) and with the legacy scripts (legacy-*), in alternating blocks so that
    both sides meet the same machine load. Prints JSON with wall and CPU time
    (user + system of the promise processes and their children) per side.
"""

import json
import os
import resource
import socket
import subprocess
import sys
import time

# A realistic mix, from how often each form appears in SlapOS software releases:
# socket checks about 60 %, URL checks 30 % (half of them HTTPS), file checks 10 %.
MIX = ["port", "http", "port", "file", "port", "https", "port", "port", "http", "port",
       "https", "port", "port", "http", "port", "file", "port", "https", "port", "port"]
BLOCK = 50


def free_ports(count):
    ports = []
    held = []
    while len(ports) < count:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        held.append(s)
        try:
            s6 = socket.socket(socket.AF_INET6)
            s6.bind(("::1", port))
            held.append(s6)
        except OSError as error:
            if error.errno == 98:  # taken on ::1: try another
                continue
        ports.append(port)
    for s in held:
        s.close()
    print(" ".join(str(p) for p in ports))


def run_block(paths):
    """Runs each promise in turn; returns (wall seconds, CPU seconds, failures)."""
    failures = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for path in paths:
        process = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        output, _ = process.communicate(timeout=25)
        if process.returncode != 0:
            failures.append(f"{os.path.basename(path)}: exit {process.returncode}: "
                            f"{output.decode(errors='replace').strip()[:200]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, failures


def simulate(runs, folder, have_url):
    mix = [k for k in MIX if have_url or k not in ("http", "https")]
    kinds = [mix[i % len(mix)] for i in range(runs)]
    sides = {
        side: {"wall": 0.0, "cpu": 0.0, "failures": [],
               "paths": [os.path.join(folder, f"{side}-{k}") for k in kinds]}
        for side in ("ours", "legacy")
    }
    for n, start in enumerate(range(0, runs, BLOCK)):
        order = ("ours", "legacy") if n % 2 == 0 else ("legacy", "ours")
        for side in order:
            wall, cpu, failures = run_block(sides[side]["paths"][start:start + BLOCK])
            sides[side]["wall"] += wall
            sides[side]["cpu"] += cpu
            sides[side]["failures"] += failures
    result = {"runs": runs, "mix": {k: kinds.count(k) for k in sorted(set(kinds))}}
    for side, data in sides.items():
        result[side] = {"wall": data["wall"], "cpu": data["cpu"], "failures": data["failures"][:5],
                        "failed": len(data["failures"])}
    json.dump(result, sys.stdout)
    return 0 if not any(sides[s]["failures"] for s in sides) else 1


def main(argv):
    if argv[1:2] == ["free-ports"]:
        free_ports(int(argv[2]))
        return 0
    if argv[1:2] == ["simulate"]:
        return simulate(int(argv[2]), argv[3], argv[4] == "1")
    sys.stderr.write(__doc__)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
