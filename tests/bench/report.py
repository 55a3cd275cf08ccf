#!/usr/bin/python3
"""report.py: turns causerie-bench's RESULT lines into run-bench's tables,
a Markdown copy (results.md), the plot data and, if gnuplot is installed,
the plot (performance.png).  The RATIOS line is printed last:

  RATIOS relay_cpu_vs_ngircd=A relay_cpu_vs_forwarder=B login_cpu_vs_tls=C storm_cpu_vs_tls=D rss_vs_ngircd=E

A: causerie's server µs per relayed message / ngIRCd's, geometric mean over
   the client counts where both runs are valid; B: the same against the
   transport floor (the forwarder); C: server CPU per login / per bare TLS
   1.3 handshake; D: server CPU of the storm (N logins, then N logouts) /
   N bare handshakes' (N x the per-handshake CPU); E: RSS per idle
   connection, causerie / ngIRCd.  A ratio whose inputs are missing or
   invalid reads n/a, and the report says which."""

import argparse
import math
import os
import shutil
import subprocess
import sys


def parse(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("RESULT "):
                continue
            row = {}
            for field in line.split()[1:]:
                key, _, value = field.partition("=")
                try:
                    row[key] = float(value) if key not in ("test", "target") else value
                except ValueError:
                    row[key] = value
            rows.append(row)
    return rows


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b <= 0 or a < 0:
        return None
    return a / b


def geomean(values):
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()

    rows = parse(args.results)
    lines, md, problems = [], [], []

    def one(test, target):
        found = None
        for r in rows:
            if r.get("test") == test and r.get("target") == target:
                found = r
        return found

    setup = one("setup", None) or next((r for r in rows if r.get("test") == "setup"), {})
    relay = {}
    for r in rows:
        if r.get("test") == "relay" and r.get("offered", 0) > 0:
            relay.setdefault(r["target"], {})[int(r["clients"])] = r
    counts = sorted({n for t in ("causerie", "ngircd", "forward") for n in relay.get(t, {})})

    def us(target, n):
        r = relay.get(target, {}).get(n)
        if r is None:
            return None
        if r.get("valid") != 1:
            return None
        return r["server_us_per_msg"]

    def cell(target, n):
        r = relay.get(target, {}).get(n)
        if r is None:
            return ("missing", "", "", "")
        mark = "" if r.get("valid") == 1 else " (INVALID)"
        if r.get("valid") == 1 and r.get("sustained") == 0:
            mark = " (behind)"
        return (f"{r['server_us_per_msg']:.2f}{mark}", f"{r['rate']:,.0f}",
                f"{r['bench_cpu']:.2f}", f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f}")

    rate = int(next((r["offered"] for t in relay.values() for r in t.values()), 0))
    head = ("clients",
            "causerie srv µs/msg", "msg/s", "gen core", "p50/p99 ms",
            "ngIRCd srv µs/msg", "msg/s", "gen core", "p50/p99 ms",
            "forwarder srv µs/msg", "msg/s", "gen core",
            "causerie/ngIRCd", "causerie/forwarder")
    table = [head, tuple("---:" for _ in head)]
    for n in counts:
        c, g, f = cell("causerie", n), cell("ngircd", n), cell("forward", n)
        table.append((str(n),) + c + g + f[:3]
                     + (fmt(ratio(us("causerie", n), us("ngircd", n)), 3),
                        fmt(ratio(us("causerie", n), us("forward", n)), 3)))
    lines.append(f"Relay, open loop at {rate:,} msg/s offered, "
                 f"{int(setup.get('warmup', 0))} s warm-up + {int(setup.get('window', 0))} s window, "
                 f"{str(setup.get('pinning', 'unknown')).replace('_', ' ')}:")
    for row in table:
        lines.append("| " + " | ".join(row) + " |")
    md.extend(lines[-len(table) - 1:])
    for target in ("causerie", "ngircd", "forward"):
        for n in (100, 500, 2000):
            r = relay.get(target, {}).get(n)
            if r is None:
                problems.append(f"relay {target} at {n} clients: missing")
            elif r.get("valid") != 1:
                problems.append(f"relay {target} at {n} clients: invalid (generator {r['bench_cpu']:.2f}"
                                f" of a core, {r['rate']:,.0f} of {r['offered']:,.0f} msg/s completed)")
            elif r.get("sustained") == 0:
                problems.append(f"relay {target} at {n} clients: fell behind the offered rate "
                                f"({r['rate']:,.0f} of {r['offered']:,.0f} msg/s completed; counted,"
                                f" CPU per message measured under overload)")

    for label in ("causerie-latency", "ngircd-latency", "causerie-window"):
        r = relay.get(label, {})
        for n, x in r.items():
            s = (f"- {label}: {x['offered']:,.0f} msg/s offered over {n} clients: "
                 f"{x['rate']:,.0f} completed, p50 {x['p50_ms']:.2f} ms, p99 {x['p99_ms']:.2f} ms, "
                 f"max {x['max_ms']:.2f} ms, server {x['server_us_per_msg']:.2f} µs/msg")
            lines.append(s)
            md.append(s)

    hs = one("handshakes", "tls")
    logins = one("logins", "causerie")
    storm = one("storm", "causerie")
    idle_c = one("idle", "causerie")
    idle_n = one("idle", "ngircd")
    hs_ms = hs["server_cpu_ms_per_op"] if hs and hs.get("ok") == 1 else None
    login_ms = logins["server_cpu_ms_per_op"] if logins and logins.get("ok") == 1 else None
    lines.append("")
    md.append("")
    set_tab = [("set-up", "per second", "p50 ms", "p99 ms", "server CPU (cores)",
                "server CPU ms each", "generator CPU (cores)"),
               ("---", "---:", "---:", "---:", "---:", "---:", "---:")]
    for name, r in (("bare TLS 1.3 handshakes", hs),
                    ("causerie logins (TLS + DH + SCRAM, 4,096 it., client PBKDF2 cached)", logins)):
        if r:
            set_tab.append((name, fmt(r["rate"]), f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
                            f"{r['server_cpu']:.2f}", f"{r['server_cpu_ms_per_op']:.3f}",
                            f"{r['bench_cpu']:.2f}"))
        else:
            set_tab.append((name, "missing", "", "", "", "", ""))
            problems.append(f"{name}: missing")
    for row in set_tab:
        lines.append("| " + " | ".join(row) + " |")
        md.append(lines[-1])

    storm_ratio = None
    lines.append("")
    md.append("")
    if storm and hs_ms:
        n = storm["clients"]
        storm_ratio = ratio(storm["server_cpu_s"], n * hs_ms / 1000.0)
        s = (f"Storm: {int(n):,} clients logged in ({int(storm['concurrency'])} in flight) and left: "
             f"server CPU {storm['server_cpu_s']:.2f} s (logins {storm['login_cpu_s']:.2f} s, "
             f"leaving {storm['leave_cpu_s']:.2f} s), {storm['seconds']:.1f} s in all, "
             f"{int(storm['presence']):,} presence frames received "
             f"({storm['presence_per_client']:.1f} per client); "
             f"{int(n):,} bare handshakes cost {n * hs_ms / 1000.0:.2f} s.")
        lines.append(s)
        md.append(s)
    else:
        problems.append("storm: missing")
    mem = [("idle clients", "server", "RSS before", "RSS after", "per connection"),
           ("---:", "---", "---:", "---:", "---:")]
    for name, r in (("causerie", idle_c), ("ngIRCd", idle_n)):
        if r:
            mem.append((f"{int(r['clients']):,}", name, f"{int(r['rss0_kib']):,} KiB",
                        f"{int(r['rss1_kib']):,} KiB", f"{r['per_conn_kib']:.2f} KiB"))
        else:
            mem.append(("", name, "missing", "", ""))
            problems.append(f"idle memory {name}: missing")
    lines.append("")
    md.append("")
    for row in mem:
        lines.append("| " + " | ".join(row) + " |")
        md.append(lines[-1])
    for r in rows:
        if r.get("test") == "stop":
            s = (f"{r['target']} stopped {int(r['seconds'])} s after SIGTERM once its "
                 f"{int(r['clients'])} clients had left" + (" (killed)" if r.get("killed") else ""))
            lines.append(s)
            md.append("")
            md.append(s + ".")
    for r in rows:
        if r.get("test") == "missing":
            problems.append(f"{r['target']}: not installed or did not start")

    # Plot: server µs per message against clients.
    dat = os.path.join(args.out, "relay.dat")
    with open(dat, "w", encoding="utf-8") as f:
        f.write("# clients causerie ngircd forwarder (server µs per message; ? = none or invalid)\n")
        for n in counts:
            vals = [us(t, n) for t in ("causerie", "ngircd", "forward")]
            f.write(f"{n} " + " ".join("?" if v is None else f"{v:.3f}" for v in vals) + "\n")
    png = os.path.join(args.out, "performance.png")
    lines.append("")
    # Debian's gnuplot-nox provides /usr/bin/gnuplot through alternatives.
    gnuplot = shutil.which("gnuplot") or shutil.which("gnuplot-nox")
    if args.plot and gnuplot and counts:
        subprocess.run([gnuplot, "-e", f"data='{dat}'; out='{png}'; rate='{rate}'", args.plot],
                       check=False)
        lines.append(f"plot: {png}")
    elif not gnuplot:
        lines.append("plot: gnuplot is not installed, NO PLOT")
        problems.append("plot: gnuplot missing")
    else:
        lines.append("plot: no relay results to plot, NO PLOT")
        problems.append("plot: no relay results")

    a_vals = [ratio(us("causerie", n), us("ngircd", n)) for n in counts]
    b_vals = [ratio(us("causerie", n), us("forward", n)) for n in counts]
    a = geomean([v for v in a_vals if v]) if all(a_vals) and a_vals else None
    b = geomean([v for v in b_vals if v]) if all(b_vals) and b_vals else None
    c = ratio(login_ms, hs_ms)
    e = ratio(idle_c and idle_c["per_conn_kib"], idle_n and idle_n["per_conn_kib"])
    ratios = (f"RATIOS relay_cpu_vs_ngircd={fmt(a, 3)} relay_cpu_vs_forwarder={fmt(b, 3)}"
              f" login_cpu_vs_tls={fmt(c, 3)} storm_cpu_vs_tls={fmt(storm_ratio, 3)}"
              f" rss_vs_ngircd={fmt(e, 3)}")
    if problems:
        lines.append("")
        md.append("")
        for p in problems:
            lines.append(f"PROBLEM: {p}")
            md.append(f"- PROBLEM: {p}")
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n\n" + ratios + "\n")
    print("\n".join(lines))
    print(ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
