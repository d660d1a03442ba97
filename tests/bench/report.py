"""Prints the Markdown report of tests/bench/run.sh from the files it left in WORK.

Usage: report.py WORK RUNS NODE_RUNS CORES LOADAVG
"""

import datetime
import json
import os
import statistics
import sys

OURS = {"port": "check-port-listening", "http": "check-url-available",
        "https": "check-url-available -k", "file": "check-file-exists",
        "disk": "check-free-disk-space", "cert": "check-certificate",
        "deploy": "check-file-exists --state absent-or-empty",
        "bootstrap": "check-file-exists --state empty", "command": "check-command"}
TITLES = {"port": "Port (TCP connect to 127.0.0.1)", "http": "URL over HTTP",
          "https": "URL over HTTPS, certificate not verified", "file": "File exists",
          "disk": "Free disk space of the partition", "cert": "Certificate file and its key",
          "deploy": "Partition deployment state (slapgrid's error log)",
          "bootstrap": "Monitor bootstrap status", "command": "Command `true`"}
GROUPS = ("port", "http", "https", "file", "disk", "cert", "deploy", "bootstrap", "command")
# The targets: median time of ours over theirs, measured in the same run.
TIME_TARGETS = {("port", "Python create_connection (legacy recipe)"): 0.10,
                ("port", "check_tcp"): 1.0,
                ("http", "dash + curl (legacy recipe)"): 0.30,
                ("https", "dash + curl -k (legacy recipe)"): 0.50,
                ("file", "dash -c 'test -f FILE'"): 1.5}
# Targets on the difference of medians, ours - theirs, in seconds: check-command
# starts the shell too, so what is ours is the time on top of it.
DIFF_TARGETS = {("command", "/bin/sh -c true"): 0.001}
# Peak RSS targets, KiB.
RSS_TARGETS = {("port", "check-port-listening"): 4096,
               ("file", "check-file-exists"): 4096,
               ("https", "check-url-available -k"): 10240,
               ("command", "check-command"): 4096}


def read_rows(path, fields):
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(line.rstrip("\n").split("|", fields - 1))
    return rows


def pooled(work, group):
    """Each command's runs over all rounds: median of every time, mean CPU."""
    runs = {}
    for name in sorted(os.listdir(work)):
        if name.startswith(f"time-{group}-") and name.endswith(".json"):
            with open(os.path.join(work, name), encoding="utf-8") as f:
                for r in json.load(f)["results"]:
                    runs.setdefault(r["command"], []).append(r)
    results = {}
    for command, parts in runs.items():
        times = [t for r in parts for t in r["times"]]
        cpu = sum((r["user"] + r["system"]) * len(r["times"]) for r in parts) / len(times)
        results[command] = {"median": statistics.median(times), "cpu": cpu}
    return results


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def verdict(value, target):
    return "met" if value <= target else "**missed**"


def judge(summary, what, value, limit, show):
    """The table cell for a value against its target; the summary gets a line too."""
    outcome = verdict(value, limit)
    summary.append(f"{what}: {show(value)} (target <= {show(limit)}, {outcome})")
    return f"<= {show(limit)}: {outcome}"


def main(work, runs, node_runs, cores, loadavg):
    measured = {(g, label): status for g, label, status in read_rows(f"{work}/measured", 3)}
    lines = {(g, label): line for g, label, line in read_rows(f"{work}/lines", 3)}
    summary = []
    out = []
    today = datetime.date.today().isoformat()
    out.append(f"Measured by `make bench` on {today}: {cores} cores, load average "
               f"{loadavg} at the start; loopback nginx; hyperfine, {runs} runs of each "
               f"command in rounds, medians; ratio = ours / theirs.")
    out.append("")
    out.append("| check | command | median | mean user+sys CPU | ours / this | target | CPU ours / this |")
    out.append("| --- | --- | ---: | ---: | ---: | --- | ---: |")
    for group in GROUPS:
        results = pooled(work, group)
        ours = results.get(OURS[group])
        for g, label in measured:
            if g != group:
                continue
            r = results.get(label)
            if r is None:
                out.append(f"| {TITLES[group]} | {label} | {measured[(g, label)]} | | | | |")
                continue
            cpu = ms(r["cpu"])
            ratio, target, cpu_ratio = "", "", ""
            if label != OURS[group] and ours is not None:
                value = ours["median"] / r["median"]
                ratio = f"{value:.3f}"
                cpu_ratio = f"{ours['cpu'] / r['cpu']:.3f}"
                if (group, label) in TIME_TARGETS:
                    target = judge(summary, f"{TITLES[group]}, ours / {label}", value,
                                   TIME_TARGETS[(group, label)], lambda v: f"{v:.3f}")
                if (group, label) in DIFF_TARGETS:
                    target = judge(summary, f"{TITLES[group]}, ours - {label}",
                                   ours["median"] - r["median"], DIFF_TARGETS[(group, label)],
                                   lambda v: f"{v * 1000:+.2f} ms")
            name = f"**{label}**" if label == OURS[group] else label
            out.append(f"| {TITLES[group]} | {name} | {ms(r['median'])} | {cpu} | {ratio} | {target} "
                       f"| {cpu_ratio} |")
        for (g, label), limit in TIME_TARGETS.items():
            if g == group and ours is None:
                summary.append(f"{TITLES[group]}, ours / {label}: not measured "
                               f"({measured.get((g, OURS[g]), 'no result')}; target <= {limit:.2f})")

    out.append("")
    out.append("Peak RSS (`/usr/bin/time -f %M`, median of 5 runs):")
    out.append("")
    out.append("| check | command | peak RSS | target |")
    out.append("| --- | --- | ---: | --- |")
    rss = {}
    for g, label, kib in read_rows(f"{work}/rss", 3):
        if kib.strip().isdigit():
            rss.setdefault((g, label), []).append(int(kib))
    for (g, label), values in rss.items():
        value = statistics.median(values)
        target = ""
        if (g, label) in RSS_TARGETS:
            target = judge(summary, f"Peak RSS of {label} ({g})", value,
                           RSS_TARGETS[(g, label)], mib)
        name = f"**{label}**" if label == OURS[g] else label
        out.append(f"| {TITLES[g]} | {name} | {mib(value)} | {target} |")
    for (g, label), limit in RSS_TARGETS.items():
        if (g, label) not in rss:
            summary.append(f"Peak RSS of {label} ({g}): not measured (target <= {mib(limit)})")

    out.append("")
    out.append("What is on disk to run each (bytes; shared libraries resolved by `ldd`):")
    out.append("")
    out.append("| program | executable | with its shared libraries |")
    out.append("| --- | ---: | ---: |")
    for side, name, size, libs in read_rows(f"{work}/sizes", 4):
        size, libs = int(size), int(libs)
        if side == "ours":
            out.append(f"| **{name}** (static) | {size:,} | {size:,} |")
        else:
            out.append(f"| {name} | {size:,} | {size + libs:,} |")

    node_path = f"{work}/node.json"
    if os.path.exists(node_path) and os.path.getsize(node_path):
        with open(node_path, encoding="utf-8") as f:
            node = json.load(f)
        mix = ", ".join(f"{count} {kind}" for kind, count in node["mix"].items())
        out.append("")
        out.append(f"Node simulation: {node['runs']} promise runs in sequence as slapgrid runs "
                   f"them ({mix}); ours through baked wrappers, legacy through the recipes' "
                   f"scripts; alternating blocks of 50:")
        out.append("")
        out.append("| side | wall | CPU (user+sys) | wall per run | CPU per run | failed runs |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for side in ("ours", "legacy"):
            d = node[side]
            out.append(f"| {side} | {d['wall']:.2f} s | {d['cpu']:.2f} s | {ms(d['wall'] / node['runs'])} "
                       f"| {ms(d['cpu'] / node['runs'])} | {d['failed']} |")
        o, l = node["ours"], node["legacy"]
        if l["wall"] and l["cpu"]:
            out.append(f"| ours / legacy | {o['wall'] / l['wall']:.3f} | {o['cpu'] / l['cpu']:.3f} | | | |")
            summary.append(f"Node simulation, ours / legacy: wall {o['wall'] / l['wall']:.3f}, "
                           f"CPU {o['cpu'] / l['cpu']:.3f}")
        for side in ("ours", "legacy"):
            for failure in node[side]["failures"]:
                summary.append(f"Node simulation failure ({side}): {failure}")

    counts = read_rows(f"{work}/instructions", 3)
    if counts:
        out.append("")
        out.append("Instructions per run (valgrind --tool=callgrind, whole process):")
        out.append("")
        out.append("| run | exit | instructions |")
        out.append("| --- | ---: | ---: |")
        for label, rc, count in counts:
            shown = f"{int(count):,}" if count.isdigit() else "?"
            out.append(f"| {label} | {rc} | {shown} |")

    out.append("")
    out.append("Targets:")
    out.append("")
    out.extend(f"- {line}" for line in summary)
    out.append("")
    out.append("<details><summary>What each command printed</summary>")
    out.append("")
    for (g, label), line in lines.items():
        shown = line.replace("`", "'") or "(nothing: exit 0)"
        out.append(f"- {label}: `{shown}`")
    out.append("")
    out.append("</details>")
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:6])
