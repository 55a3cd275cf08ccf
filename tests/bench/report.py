#!/usr/bin/python3
"""report.py: turns causerie-bench's RESULT lines into run-bench's table,
a Markdown copy (results.md), the plot data and, if gnuplot is installed,
the plot (performance.png).  The RATIOS line is printed last."""

import argparse
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
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ref-clients", type=int, default=100)
    ap.add_argument("--idle-clients", type=int, default=10000)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()

    rows = parse(args.results)
    closed = [r for r in rows if r.get("test") == "relay" and r.get("offered", 0) == 0
              and r.get("ok") == 1]
    relay = {}
    for r in closed:
        relay.setdefault(r["target"], {})[int(r["clients"])] = r
    counts = sorted({int(r["clients"]) for r in closed
                     if r["target"] in ("causerie", "ngircd", "echo")})

    def rate(target, n):
        r = relay.get(target, {}).get(n)
        return r["rate"] if r else None

    def one(test, target):
        for r in rows:
            if r.get("test") == test and r.get("target") == target:
                return r
        return None

    lines = []
    md = []

    # Relay table.
    head = ("clients", "causerie msg/s", "p50/p99 ms", "srv µs/msg", "gen µs/msg",
            "ngIRCd msg/s", "p50/p99 ms", "srv µs/msg", "gen µs/msg", "TLS echo msg/s",
            "causerie/ngIRCd", "causerie/echo")

    def gen_us(r):
        """The generator's CPU time per relayed message (it shares the cores)."""
        if not r or r.get("bench_cpu", -1) < 0 or not r.get("messages"):
            return "n/a"
        return f"{r['bench_cpu'] * r['seconds'] * 1e6 / r['messages']:.1f}"

    table = []
    for n in counts:
        c, g, e = (relay.get(t, {}).get(n) for t in ("causerie", "ngircd", "echo"))
        table.append((
            str(n),
            fmt(c and c["rate"]), c and f"{c['p50_ms']:.1f} / {c['p99_ms']:.1f}" or "n/a",
            c and f"{c.get('server_us_per_msg', -1):.1f}" or "n/a", gen_us(c),
            fmt(g and g["rate"]), g and f"{g['p50_ms']:.1f} / {g['p99_ms']:.1f}" or "n/a",
            g and f"{g.get('server_us_per_msg', -1):.1f}" or "n/a", gen_us(g),
            fmt(e and e["rate"]),
            fmt(ratio(c and c["rate"], g and g["rate"]), 3),
            fmt(ratio(c and c["rate"], e and e["rate"]), 3)))
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(head)]
    lines.append("Direct-message relay, closed loop (messages relayed per second;"
                 " server and generator CPU µs per message)")
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for r in table:
        lines.append("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "|".join("---:" for _ in head) + "|")
    for r in table:
        md.append("| " + " | ".join(r) + " |")

    md.append("")
    for target, what in (("causerie-receipts", "causerie, recipients sending delivery receipts"),
                         ("causerie-window", "causerie with its window (no --headless, Xvfb)")):
        r = relay.get(target, {}).get(args.ref_clients)
        if r:
            s = (f"{what} ({args.ref_clients} clients): {fmt(r['rate'])} msg/s,"
                 f" p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms,"
                 f" server CPU {r['server_cpu']:.2f} ({r.get('server_us_per_msg', -1):.1f} µs/msg)")
            lines.append(s)
            md.append("- " + s + ".")

    # Latency at a fixed rate.
    lines.append("")
    md.append("")
    lines.append("Latency at a fixed offered rate (send → recipient)")
    md.append("| open loop | offered msg/s | clients | relayed msg/s | p50 ms | p99 ms | max ms | srv CPU |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.get("test") == "relay" and r.get("offered", 0) > 0:
            lines.append(f"  {r['target']:>9}: {fmt(r['offered'])} msg/s over {int(r['clients'])} clients:"
                         f" p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms,"
                         f" max {r['max_ms']:.2f} ms (server CPU {r['server_cpu']:.2f})")
            md.append(f"| {r['target']} | {fmt(r['offered'])} | {int(r['clients'])} | {fmt(r['rate'])}"
                      f" | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f}"
                      f" | {r['server_cpu']:.2f} |")

    # Logins.
    logins, hs = one("logins", "causerie"), one("handshakes", "tls")
    lines.append("")
    md.append("")
    lines.append("Connection set-up (32 in flight)")
    md.append("| set-up | per second | p50 ms | p99 ms | server CPU | server CPU ms each"
              " | generator CPU |")
    md.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in (("bare TLS 1.3 handshakes", hs),
                    ("causerie logins (TLS + DH + SCRAM, 4,096 it.)", logins)):
        if r:
            lines.append(f"  {name}: {fmt(r['rate'])}/s, p50 {r['p50_ms']:.1f} ms,"
                         f" p99 {r['p99_ms']:.1f} ms, server CPU {r['server_cpu']:.2f}"
                         f" ({r['server_cpu_ms_per_op']:.2f} ms each),"
                         f" generator CPU {r.get('bench_cpu', -1):.2f}")
            md.append(f"| {name} | {fmt(r['rate'])} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}"
                      f" | {r['server_cpu']:.2f} | {r['server_cpu_ms_per_op']:.2f}"
                      f" | {r.get('bench_cpu', -1):.2f} |")
    if logins and hs and hs.get("server_cpu_ms_per_op", 0) > 0 and logins.get("server_cpu_ms_per_op", 0) > 0:
        s = (f"server CPU per bare handshake ÷ per login: "
             f"{hs['server_cpu_ms_per_op'] / logins['server_cpu_ms_per_op']:.3f}"
             f" (the rate ratio is only the server's when the generator is not saturated)")
        lines.append("  " + s)
        md.append("")
        md.append(s + ".")

    # Idle memory.
    lines.append("")
    md.append("")
    lines.append("Idle memory (server RSS)")
    md.append("| idle clients | server | RSS before | RSS after | per connection |")
    md.append("|---:|---|---:|---:|---:|")
    idle = {}
    for r in rows:
        if r.get("test") == "idle":
            idle[r["target"]] = r
            lines.append(f"  {r['target']}: {int(r['clients'])} clients: {fmt(r['rss0_kib'])} KiB →"
                         f" {fmt(r['rss1_kib'])} KiB = {r['per_conn_kib']:.1f} KiB per connection"
                         f" (set up in {r['login_seconds']:.1f} s)")
            md.append(f"| {int(r['clients'])} | {r['target']} | {fmt(r['rss0_kib'])} KiB"
                      f" | {fmt(r['rss1_kib'])} KiB | {r['per_conn_kib']:.1f} KiB |")

    for r in rows:
        if r.get("test") == "stop":
            s = (f"  {r['target']} stopped {int(r['seconds'])} s after SIGTERM once its"
                 f" {int(r['clients'])} clients had left" + (" (killed)" if r.get("killed") else ""))
            lines.append(s)
            md.append("")
            md.append(s.strip() + ".")

    # Plot.
    dat = os.path.join(args.out, "relay.dat")
    with open(dat, "w", encoding="utf-8") as f:
        f.write("# clients causerie ngircd echo (messages/s)\n")
        for n in counts:
            vals = [rate(t, n) for t in ("causerie", "ngircd", "echo")]
            f.write(f"{n} " + " ".join("?" if v is None else f"{v:.1f}" for v in vals) + "\n")
    png = os.path.join(args.out, "performance.png")
    # Debian's gnuplot-nox provides /usr/bin/gnuplot through alternatives.
    gnuplot = shutil.which("gnuplot") or shutil.which("gnuplot-nox")
    if args.plot and gnuplot and counts:
        subprocess.run([gnuplot, "-e", f"data='{dat}'; out='{png}'", args.plot], check=False)
        lines.append("")
        lines.append(f"plot: {png}")
    else:
        lines.append("")
        lines.append("plot: gnuplot is not installed, skipped" if not gnuplot
                     else "plot: no relay results to plot, skipped")

    # Each target at its best client count: single client counts swing with
    # how latency-bound a target is there (ngIRCd's delayed ACKs).
    def peak(target):
        best = None
        for m, r in relay.get(target, {}).items():
            if best is None or r["rate"] > best[1]:
                best = (m, r["rate"])
        return best

    peaks = {t: peak(t) for t in ("causerie", "ngircd", "echo")}
    c_rate, g_rate, e_rate = (peaks[t] and peaks[t][1] for t in ("causerie", "ngircd", "echo"))
    r_ng = ratio(c_rate, g_rate)
    r_echo = ratio(c_rate, e_rate)
    s = "peak relay rates: " + ", ".join(
        f"{t} {fmt(peaks[t][1])}/s at {peaks[t][0]} clients" if peaks[t] else f"{t} n/a"
        for t in ("causerie", "ngircd", "echo"))
    lines.insert(len(table) + 2, s)
    md.insert(len(table) + 2, "")
    md.insert(len(table) + 3, s + ".")
    r_login = ratio(logins and logins["rate"], hs and hs["rate"])
    per_conn = idle.get("causerie", {}).get("per_conn_kib")
    ratios = (f"RATIOS relay_vs_ngircd={fmt(r_ng, 3)} relay_vs_echo={fmt(r_echo, 3)}"
              f" login_vs_tls={fmt(r_login, 3)} rss_per_conn_kib={fmt(per_conn, 1)}")
    lines.append(f"(relay ratios: peak against peak; idle memory with {args.idle_clients} clients)")

    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n\n" + ratios + "\n")
    print("\n".join(lines))
    print(ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
