#!/usr/bin/python3
"""Turns the figures of one bench/run.sh run (results.jsonl) into the Markdown report.

Each input line is one figure: {"key", "server" (haven | registry | machine), "value",
"samples", "command", "error", "text"}.  FIGURES below says, per key, what it measures, its
unit, which direction is better and the issue's target for the ratio Haven/docker-registry.
A figure that misses its target, or failed, gets a "what limits this" paragraph built from
the run's own numbers (LIMITS).  Figures of what docker-registry does not have (its token
service) are HAVEN_ONLY and show "n/a" in its column; DERIVED rows pair one Haven figure with
another docker-registry figure (Haven's bearer tokens against docker-registry's Basic); OF_FACT
rows show each server's figure as a fraction of a machine fact of the same run (the blob pull
against the loopback ceiling); QUOTIENT rows divide two figures of one server (its p99 under
load over its p99 alone).
"""

import argparse
import json
import sys
import time

# key: (benchmark, metric, unit, better, target op, target) -- target is on Haven/registry.
# Rows without a target explain the ones with one: server CPU (user + system time of the
# whole process over the benchmark) and where the memory is.
FIGURES = {
    "manifest_rps": ("1. Manifest GET by tag", "requests/s", "req/s", "higher", ">=", 5.0),
    "manifest_p99": ("1. Manifest GET by tag", "p99 latency", "ms", "lower", "<", 1.0),
    "manifest_p50": ("1. Manifest GET by tag", "p50 latency", "ms", "lower", None, None),
    "manifest_cpu": ("1. Manifest GET by tag", "server CPU per request", "µs", "lower", None,
                     None),
    "manifest_busy": ("1. Manifest GET by tag", "server still busy after the run", "s", "lower",
                      None, None),
    "manifest_basic_rps": ("2. Manifest GET with credentials", "Basic: requests/s", "req/s",
                           "higher", ">=", 5.0),
    "manifest_basic_p99": ("2. Manifest GET with credentials", "Basic: p99 latency", "ms",
                           "lower", None, None),
    "manifest_basic_p50": ("2. Manifest GET with credentials", "Basic: p50 latency", "ms",
                           "lower", None, None),
    "manifest_basic_cpu": ("2. Manifest GET with credentials", "Basic: server CPU per request",
                           "µs", "lower", None, None),
    "manifest_basic_busy": ("2. Manifest GET with credentials",
                            "Basic: server still busy after the run", "s", "lower", None, None),
    "manifest_bearer_rps": ("2. Manifest GET with credentials", "bearer token: requests/s",
                            "req/s", "higher", None, None),
    "manifest_bearer_p99": ("2. Manifest GET with credentials", "bearer token: p99 latency", "ms",
                            "lower", None, None),
    "manifest_bearer_p50": ("2. Manifest GET with credentials", "bearer token: p50 latency", "ms",
                            "lower", None, None),
    "manifest_bearer_cpu": ("2. Manifest GET with credentials",
                            "bearer token: server CPU per request", "µs", "lower", None, None),
    "manifest_bearer_busy": ("2. Manifest GET with credentials",
                             "bearer token: server still busy after the run", "s", "lower", None,
                             None),
    "bearer_vs_basic_rps": ("2. Manifest GET with credentials",
                            "Haven bearer token vs docker-registry Basic: requests/s", "req/s",
                            "higher", ">=", 5.0),
    "bearer_vs_basic_p99": ("2. Manifest GET with credentials",
                            "Haven bearer token vs docker-registry Basic: p99 latency", "ms",
                            "lower", None, None),
    "token_basic_rps": ("3. Token service", "admin (Basic), pull scope: requests/s", "req/s",
                        "higher", None, None),
    "token_basic_p99": ("3. Token service", "admin (Basic), pull scope: p99 latency", "ms",
                        "lower", None, None),
    "token_basic_p50": ("3. Token service", "admin (Basic), pull scope: p50 latency", "ms",
                        "lower", None, None),
    "token_basic_cpu": ("3. Token service", "admin (Basic), pull scope: server CPU per request",
                        "µs", "lower", None, None),
    "token_basic_busy": ("3. Token service", "admin (Basic), pull scope: server still busy after "
                         "the run", "s", "lower", None, None),
    "token_anon_rps": ("3. Token service", "anonymous, public pull scope: requests/s", "req/s",
                       "higher", None, None),
    "token_anon_p99": ("3. Token service", "anonymous, public pull scope: p99 latency", "ms",
                       "lower", None, None),
    "token_anon_p50": ("3. Token service", "anonymous, public pull scope: p50 latency", "ms",
                       "lower", None, None),
    "token_anon_cpu": ("3. Token service", "anonymous, public pull scope: server CPU per request",
                       "µs", "lower", None, None),
    "token_anon_busy": ("3. Token service", "anonymous, public pull scope: server still busy "
                        "after the run", "s", "lower", None, None),
    "pull_blob": ("4. Blob pull", "download speed (best)", "MB/s", "higher", ">=", 1.1),
    "pull_loopback": ("4. Blob pull", "download speed (best) against this run's loopback ceiling",
                      "MB/s", "higher", ">=", 0.85),
    "pull_cpu": ("4. Blob pull", "server CPU per GiB sent", "s", "lower", None, None),
    "push_mono": ("5. Blob push", "monolithic: POST + PUT (best)", "MB/s", "higher", ">=", 1.3),
    "push_mono_cpu": ("5. Blob push", "monolithic: server CPU per GiB", "s", "lower", None,
                      None),
    "push_chunked": ("5. Blob push", "chunked: POST + 64 MiB PATCHes + PUT (best)", "MB/s",
                     "higher", ">=", 1.3),
    "push_chunked_cpu": ("5. Blob push", "chunked: server CPU per GiB", "s", "lower", None,
                         None),
    "skopeo_push": ("6. skopeo copy", "push oci: → registry (best)", "s", "lower", "<", 1.0),
    "skopeo_push_cpu": ("6. skopeo copy", "push: server CPU per copy", "s", "lower", None, None),
    "skopeo_pull": ("6. skopeo copy", "pull registry → oci: (best)", "s", "lower", "<", 1.0),
    "skopeo_pull_cpu": ("6. skopeo copy", "pull: server CPU per copy", "s", "lower", None, None),
    "load_idle_rps": ("7. Manifest GET under load", "alone: requests/s", "req/s", "higher", None, None),
    "load_idle_p50": ("7. Manifest GET under load", "alone: p50 latency", "ms", "lower", None, None),
    "load_idle_p99": ("7. Manifest GET under load", "alone: p99 latency", "ms", "lower", None, None),
    "load_logins_rps": ("7. Manifest GET under load", "during logins: requests/s", "req/s", "higher", None, None),
    "load_logins_p50": ("7. Manifest GET under load", "during logins: p50 latency", "ms", "lower", None, None),
    "load_logins_p99": ("7. Manifest GET under load", "during logins: p99 latency", "ms", "lower", "<", 1.0),
    "load_logins_slowdown": ("7. Manifest GET under load", "during logins: p99 / p99 alone", "×", "lower", None, None),
    "load_logins_rate": ("7. Manifest GET under load", "the login burst: logins/s meanwhile", "logins/s", "higher",
                         None, None),
    "load_logins_login_p99": ("7. Manifest GET under load", "the login burst: p99 of a login", "ms", "lower", None,
                              None),
    "load_pushes_rps": ("7. Manifest GET under load", "during pushes: requests/s", "req/s", "higher", None, None),
    "load_pushes_p50": ("7. Manifest GET under load", "during pushes: p50 latency", "ms", "lower", None, None),
    "load_pushes_p99": ("7. Manifest GET under load", "during pushes: p99 latency", "ms", "lower", "<", 1.0),
    "load_pushes_slowdown": ("7. Manifest GET under load", "during pushes: p99 / p99 alone", "×", "lower", None, None),
    "load_pushes_rate": ("7. Manifest GET under load", "the pushes: MB/s received meanwhile, all together", "MB/s",
                         "higher", None, None),
    "rss_idle": ("8. Memory", "idle RSS after start", "MiB", "lower", "<=", 0.25),
    "rss_idle_Anon": ("8. Memory", "… of which anonymous (heap, stacks)", "MiB", "lower", None,
                      None),
    "rss_idle_File": ("8. Memory", "… of which file-backed (program, shared libraries)", "MiB",
                      "lower", None, None),
    "rss_start_hwm": ("8. Memory", "peak RSS (VmHWM) at that moment", "MiB", "lower", None,
                      None),
    "rss_peak": ("8. Memory", "peak RSS (VmHWM) after all benchmarks", "MiB", "lower", None,
                 None),
    "so_manifest_rps": ("9. Scale-out: PostgreSQL + S3", "manifest GET by tag: requests/s",
                        "req/s", "higher", None, None),
    "so_manifest_vs_embedded": ("9. Scale-out: PostgreSQL + S3",
                                "manifest GET: requests/s over the same server's section 1 figure",
                                "×", "higher", ">=", 0.7),
    "so_manifest_p99": ("9. Scale-out: PostgreSQL + S3", "manifest GET: p99 latency", "ms",
                        "lower", None, None),
    "so_manifest_cpu": ("9. Scale-out: PostgreSQL + S3", "manifest GET: server CPU per request",
                        "µs", "lower", None, None),
    "so_pull_blob": ("9. Scale-out: PostgreSQL + S3", "blob pull: download speed (best)", "MB/s",
                     "higher", ">=", 1.0),
    "so_pull_cpu": ("9. Scale-out: PostgreSQL + S3", "blob pull: server CPU per GiB sent", "s",
                    "lower", None, None),
    "so_push_mono": ("9. Scale-out: PostgreSQL + S3", "blob push, monolithic (best)", "MB/s",
                     "higher", ">=", 1.0),
    "so_push_mono_cpu": ("9. Scale-out: PostgreSQL + S3", "blob push: server CPU per GiB", "s",
                         "lower", None, None),
}
# docker-registry has no token service.
HAVEN_ONLY = {k for k in FIGURES if k.startswith(("manifest_bearer_", "token_"))}
# key: (the Haven figure, the docker-registry figure) shown side by side in its row.
DERIVED = {
    "bearer_vs_basic_rps": ("manifest_bearer_rps", "manifest_basic_rps"),
    "bearer_vs_basic_p99": ("manifest_bearer_p99", "manifest_basic_p99"),
}
# key: (figure, machine fact): each server's figure as a fraction of the fact, measured in the
# same run; the target is on Haven's fraction, and the Haven/docker-registry column is empty.
OF_FACT = {"pull_loopback": ("pull_blob", "loopback")}
# key: (figure, figure): one over the other, per server (a server's own slowdown under load).
QUOTIENT = {
    "load_logins_slowdown": ("load_logins_p99", "load_idle_p99"),
    "load_pushes_slowdown": ("load_pushes_p99", "load_idle_p99"),
    "so_manifest_vs_embedded": ("so_manifest_rps", "manifest_rps"),
}
# QUOTIENT rows whose target is on Haven's own quotient (not on a Haven/docker-registry ratio).
SELF_TARGET = {"so_manifest_vs_embedded"}
# Rows without a target that the summary shows all the same.
SUMMARY_EXTRA = {"manifest_p50", "manifest_basic_p99", "bearer_vs_basic_p99", "token_basic_rps",
                 "token_anon_rps", "load_idle_p99", "load_logins_slowdown",
                 "load_pushes_slowdown", "rss_peak"}
MACHINE = [
    ("cpu", "CPU"), ("nproc", "CPUs (nproc)"), ("memory", "memory"), ("kernel", "kernel"),
    ("filesystem", "data disk (both data dirs)"), ("disk", "disk write, 1 GiB + fsync"),
    ("sha256", "SHA-256, one core, 8 KiB blocks"), ("rsa2048", "RSA 2048, one core"),
    ("loopback", "loopback: curl ← sendfile server"),
    ("havend", "Haven commit"), ("registry_version", "docker-registry"), ("clients", "clients"),
    ("image", "skopeo test image"),
]
SERVERS = (("haven", "Haven"), ("registry", "docker-registry"))


def load(path):
    figs, facts = {}, {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            if d["server"] == "machine":
                facts[d["key"]] = d
            else:
                figs[(d["key"], d["server"])] = d
    for key, (hkey, rkey) in DERIVED.items():
        for s, src in (("haven", hkey), ("registry", rkey)):
            if (src, s) in figs:
                figs[(key, s)] = figs[(src, s)]
    for key, (src, fact) in OF_FACT.items():
        base = fact_num(facts, fact)
        for s, _ in SERVERS:
            if (src, s) in figs:
                figs[(key, s)] = dict(figs[(src, s)], base=base)
    for key, (num, den) in QUOTIENT.items():
        for s, _ in SERVERS:
            a, b = figs.get((num, s)), figs.get((den, s))
            if not a and not b:
                continue
            ok = a and b and not a["error"] and not b["error"] and b["value"]
            figs[(key, s)] = {
                "key": key, "server": s, "samples": [], "text": "",
                "value": a["value"] / b["value"] if ok else None,
                "command": f"{FIGURES[num][1]} ÷ {FIGURES[den][1]} (the rows above)",
                "error": "" if ok else f"needs both {num} and {den}, and one is missing or failed",
            }
    return figs, facts


def shown(key, v):
    unit = FIGURES[key][2]
    if v is None:
        return "—"
    if unit == "MiB":
        return f"{v / 1024:.1f} MiB"  # recorded in KiB, as /proc shows it
    if unit == "req/s":
        return f"{v:,.0f} req/s"
    if unit == "µs" and v < 10:
        return f"{v:.1f} µs"
    if unit == "ms":
        return f"{v:.2f} ms"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "×":
        return f"{v:.1f}×"
    return f"{v:,.0f} {unit}"


def ratio(figs, key):
    if key.endswith("_busy"):
        return None  # seconds of work left behind: near 0 for docker-registry, a ratio says nothing
    if key in SELF_TARGET:
        return val(figs, key, "haven")  # Haven against itself: its own quotient
    if key in QUOTIENT or key in OF_FACT:
        return None  # each server's own ratio is in its cell
    h, r = figs.get((key, "haven")), figs.get((key, "registry"))
    if not h or not r or h["value"] is None or r["value"] is None or not r["value"]:
        return None
    return h["value"] / r["value"]


def target_text(key):
    _, _, _, _, op, val = FIGURES[key]
    if op is None:
        return "—"
    if key in OF_FACT:
        return {">=": "≥", "<": "<", "<=": "≤"}[op] + f" {100 * val:g}% of {OF_FACT[key][1]}"
    return {">=": "≥", "<": "<", "<=": "≤"}[op] + f" {val:g}"


def of_fact(figs, key, server):
    """A figure of OF_FACT as a fraction of its fact, or None."""
    d = figs.get((key, server))
    if not d or d["error"] or d["value"] is None or not d.get("base"):
        return None
    return d["value"] / d["base"]


def met(figs, key):
    """True, False, or None (no target); a failed figure misses its target."""
    op, val = FIGURES[key][4], FIGURES[key][5]
    if op is None:
        return None
    x = of_fact(figs, key, "haven") if key in OF_FACT else ratio(figs, key)
    if x is None:
        return False
    return {">=": x >= val, "<": x < val, "<=": x <= val}[op]


def cell(figs, key, server):
    if server == "registry" and key in HAVEN_ONLY:
        return "n/a"
    d = figs.get((key, server))
    if d is None:
        return "not run"
    if d["error"]:
        return "**failed**"
    if d["text"] == "gave up waiting":
        return "> " + shown(key, d["value"])
    if key in OF_FACT:
        x = of_fact(figs, key, server)
        if x is None:
            return f"{shown(key, d['value'])} (no {OF_FACT[key][1]} figure)"
        return f"{100 * x:.0f}% ({d['value']:,.0f} of {d['base']:,.0f} MB/s)"
    return shown(key, d["value"])


def ratio_cell(figs, key):
    x = ratio(figs, key)
    return "—" if x is None else f"{x:.2f}"


def met_cell(figs, key):
    m = met(figs, key)
    return "" if m is None else ("yes" if m else "**no**")


def val(figs, key, server):
    d = figs.get((key, server))
    return None if d is None or d["error"] else d["value"]


def fact_num(facts, key):
    """The leading number of a fact's text ("1234 MB/s" -> 1234.0), or None."""
    try:
        return float(facts[key]["text"].split()[0])
    except (KeyError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------- what limits this
#
# Each paragraph states the run's own figures; the mechanisms it names are Haven's and
# docker-registry's documented behaviour (fsync before 201, sendfile, one worker per upload).

def limit_failed(figs, facts, key):
    for s, name in SERVERS:
        d = figs.get((key, s))
        if d and d["error"]:
            return (f"{name} failed this benchmark; the failing command's last output:\n\n"
                    f"```\n{d['error'].strip()}\n```")
    return None


def cpu_sentence(figs, key, unit_text, fmt):
    h, r = val(figs, key, "haven"), val(figs, key, "registry")
    if h is None or r is None:
        return ""
    return (f" Server CPU {unit_text}: Haven {fmt(h)}, docker-registry {fmt(r)}"
            + (f" ({r / h:.1f}× Haven's)." if h else "."))


def limit_manifest_rps(figs, facts):
    h, r = val(figs, "manifest_rps", "haven"), val(figs, "manifest_rps", "registry")
    n = facts.get("nproc", {}).get("text", "?")
    return (f"Haven served {h:,.0f} req/s against docker-registry's {r:,.0f}. wrk's two "
            f"threads run on the same {n} CPUs as the server, so the client's share of the "
            "CPU caps what either server can show; the CPU each server spends per request is "
            "the machine-independent part of the ratio."
            + cpu_sentence(figs, "manifest_cpu", "per request", lambda v: f"{v:,.0f} µs"))


def limit_p99(figs, facts):
    h, r = val(figs, "manifest_p99", "haven"), val(figs, "manifest_p99", "registry")
    return (f"Haven's p99 is {h:.2f} ms against {r:.2f} ms. With 32 connections, wrk and the "
            "server on the same few CPUs, the tail is mostly time a ready request waits for a "
            "CPU." + cpu_sentence(figs, "manifest_cpu", "per request", lambda v: f"{v:,.0f} µs"))


def limit_pull(figs, facts):
    h, r = val(figs, "pull_blob", "haven"), val(figs, "pull_blob", "registry")
    lo = fact_num(facts, "loopback")
    text = f"Haven sent the blob at {h:,.0f} MB/s, docker-registry at {r:,.0f} MB/s"
    if lo:
        text += (f"; curl receiving from a server that does nothing but sendfile() reaches "
                 f"{lo:,.0f} MB/s on this machine, so the ceiling is the loopback and curl "
                 f"itself, and Haven is at {100 * h / lo:.0f}% of it")
    text += (". To a client on the same host Haven reads the blob file into a 2 MiB buffer and "
             "sends it from there, from the connection's own thread (sendfile(2) would hand the "
             "local receiver page references that cost it far more system time); "
             "docker-registry copies with 32 KiB read/write pairs. The receiving curl shares "
             "the same CPUs, and the spread from run to run is large (see the samples).")
    return text + cpu_sentence(figs, "pull_cpu", "per GiB", lambda v: f"{v:.2f} s")


def limit_push(key):
    def f(figs, facts):
        h, r = val(figs, key, "haven"), val(figs, key, "registry")
        cpu = val(figs, key + "_cpu", "haven")
        disk, sha = fact_num(facts, "disk"), fact_num(facts, "sha256")
        text = (f"Haven took the blob at {h:,.0f} MB/s, docker-registry at {r:,.0f} MB/s. "
                "Haven receives an upload on its connection's own thread, which hashes the "
                "body, write(2)s it into the page cache and, at the end, fdatasyncs the file "
                "and fsyncs its directory before it answers 201; docker-registry does not "
                "fsync, so its figure can end while the data is still only in the page "
                "cache. libmicrohttpd hands the body over in pieces no larger than its "
                "per-connection buffer (64 KiB, `MHD_OPTION_CONNECTION_MEMORY_LIMIT`): at "
                "least one recv and one write(2) per piece.")
        if cpu is not None and h:
            secs = 1024 * 1.048576 / h  # seconds per GiB at the best speed
            busy = 100 * cpu / secs
            text += (f" Haven's process used {cpu:.2f} CPU-seconds per GiB, against "
                     f"{secs:.2f} s per GiB at its best speed: busy {busy:.0f}% of one core")
            text += (", so the single thread that receives, hashes and writes the body is the "
                     "bottleneck; overlapping the hashing with the writing, or handing the "
                     "write to a second thread, is what would raise it."
                     if busy >= 75 else
                     ", so it mostly waited — for the disk (write-back and the final "
                     "fdatasync), not for its own CPU.")
        if sha:
            text += f" SHA-256 alone runs at {sha:,.0f} MB/s on one core here."
        if disk:
            text += (f" This disk wrote {disk:,.0f} MB/s with a final fsync (dd) in this run; "
                     "it is a virtual disk whose throughput varies from run to run, which the "
                     "samples show.")
        return text
    return f


def limit_skopeo(key):
    def f(figs, facts):
        h, r = val(figs, key, "haven"), val(figs, key, "registry")
        text = f"Haven took {h:.2f} s, docker-registry {r:.2f} s for the same copy."
        if key == "skopeo_push":
            text += (" Each layer Haven accepts is fdatasynced, renamed, its directory fsynced "
                     "and its metadata committed to SQLite before the 201; docker-registry "
                     "does none of that.")
        return text + cpu_sentence(figs, key + "_cpu", "per copy", lambda v: f"{v:.2f} s")
    return f


def parse_maps(figs, server):
    """[(name, MiB)] of the largest mappings at idle, from the run's smaps summary."""
    d = figs.get(("rss_idle_maps", server))
    out = []
    for part in (d or {}).get("text", "").split(", "):
        name, _, mib = part.rpartition(" ")
        try:
            out.append((name, float(mib)))
        except ValueError:
            pass
    return out


TLS_LIBS = ("libgnutls", "libp11-kit", "libnettle", "libhogweed", "libgmp", "libtasn1",
            "libidn2", "libunistring", "libffi")


def limit_rss(figs, facts):
    h, r = val(figs, "rss_idle", "haven"), val(figs, "rss_idle", "registry")
    ha, ra = val(figs, "rss_idle_Anon", "haven"), val(figs, "rss_idle_Anon", "registry")
    hf = val(figs, "rss_idle_File", "haven")
    text = (f"Haven's idle RSS is {h / 1024:.1f} MiB against docker-registry's "
            f"{r / 1024:.1f} MiB; the target needs at most {r / 4096:.1f} MiB.")
    if ha is not None and ra:
        text += (f" Its own heap and stacks (anonymous memory) are {ha / 1024:.1f} MiB against "
                 f"{ra / 1024:.1f} MiB, {ha / ra:.2f} of docker-registry's.")
    maps = parse_maps(figs, "haven")
    if hf is not None and maps:
        libs = [(n, m) for n, m in maps if not n.startswith("[") and n != "havend"]
        text += (f" The other {hf / 1024:.1f} MiB are file-backed pages of the program and the "
                 "shared libraries it maps: " + ", ".join(f"{n} {m:.1f} MiB" for n, m in libs[:6])
                 + " are the largest.")
        tls = sum(m for n, m in maps if n.startswith(TLS_LIBS))
        if tls:
            text += (f" GnuTLS and the libraries it pulls in ({tls:.1f} MiB in all) are loaded "
                     "only because Debian's libmicrohttpd is linked against GnuTLS; Haven serves "
                     "plain HTTP.")
        text += (" File-backed pages are shared with every process that maps the same "
                 "libraries and are the first the kernel drops under pressure; what a Haven "
                 "process costs on its own is the anonymous part.")
    return text


def limit_auth_rps(key):
    def f(figs, facts):
        h, r = val(figs, key, "haven"), val(figs, key, "registry")
        kind = "bearer" if key.startswith("bearer") else "basic"
        hc, rc = val(figs, f"manifest_{kind}_cpu", "haven"), val(figs, "manifest_basic_cpu",
                                                                   "registry")
        text = (f"Haven served {h:,.0f} req/s with "
                f"{'a bearer token' if kind == 'bearer' else 'Basic credentials'} against "
                f"docker-registry's {r:,.0f} with Basic credentials; wrk shares the CPUs with "
                "the server, as in section 1.")
        if hc is not None and rc is not None:
            text += (f" Server CPU per request: Haven {hc:,.0f} µs, docker-registry "
                     f"{rc:,.0f} µs.")
        return text
    return f


def limit_load(cond, what):
    def f(figs, facts):
        h, r = val(figs, f"load_{cond}_p99", "haven"), val(figs, f"load_{cond}_p99", "registry")
        hi, ri = val(figs, "load_idle_p99", "haven"), val(figs, "load_idle_p99", "registry")
        n = facts.get("nproc", {}).get("text", "?")
        text = (f"During {what} Haven's p99 was {h:.2f} ms against docker-registry's "
                f"{r:.2f} ms")
        if hi is not None and ri is not None:
            text += f" (alone: {hi:.2f} ms against {ri:.2f} ms)"
        text += (f". wrk, the clients of the load and the server share the same {n} CPUs, so a "
                 "GET that is ready to run can wait for a CPU whatever the server does; what "
                 "the server controls is how much of the CPU its own load work takes, and in "
                 "which order.")
        if cond == "logins":
            hl, rl = val(figs, "load_logins_rate", "haven"), val(figs, "load_logins_rate",
                                                                 "registry")
            if hl is not None and rl is not None:
                text += (f" Meanwhile Haven checked {hl:,.0f} logins/s, docker-registry "
                         f"{rl:,.0f}/s.")
            text += (" Haven's argon2id runs on a pool of one thread per CPU at nice 10 "
                     "(`src/base/pool.c`), with 19 MiB of memory per hash; the connection "
                     "threads that wait for it, and the RSA signature of each token, run at "
                     "normal priority.")
        else:
            hr, rr = val(figs, "load_pushes_rate", "haven"), val(figs, "load_pushes_rate",
                                                                  "registry")
            if hr is not None and rr is not None:
                text += (f" Meanwhile Haven took the pushes in at {hr:,.0f} MB/s, "
                         f"docker-registry at {rr:,.0f} MB/s: each server hashes and writes "
                         "what it receives on threads of the same priority as its GETs, so "
                         "the faster it takes the pushes, the more CPU they take from the "
                         "GETs.")
        return text
    return f


LIMITS = {
    "manifest_rps": limit_manifest_rps,
    "manifest_basic_rps": limit_auth_rps("manifest_basic_rps"),
    "bearer_vs_basic_rps": limit_auth_rps("bearer_vs_basic_rps"),
    "manifest_p99": limit_p99,
    "pull_blob": limit_pull,
    "pull_loopback": limit_pull,
    "load_logins_p99": limit_load("logins", "the login burst"),
    "load_pushes_p99": limit_load("pushes", "the pushes"),
    "push_mono": limit_push("push_mono"),
    "push_chunked": limit_push("push_chunked"),
    "skopeo_push": limit_skopeo("skopeo_push"),
    "skopeo_pull": limit_skopeo("skopeo_pull"),
    "rss_idle": limit_rss,
}


def rsa_rates(facts):
    """(signatures/s, verifications/s) of RSA 2048 on one core, or (None, None)."""
    try:
        f = facts["rsa2048"]["text"].split()
        return float(f[0]), float(f[2])
    except (KeyError, ValueError, IndexError):
        return None, None


def auth_notes(figs, facts):
    """What checking the credentials costs each server, against its anonymous GET."""
    lines = []
    for s, name, kinds in (("haven", "Haven", ("basic", "bearer")),
                           ("registry", "docker-registry", ("basic",))):
        anon, anon_cpu = val(figs, "manifest_rps", s), val(figs, "manifest_cpu", s)
        parts = []
        for k in kinds:
            r, c = val(figs, f"manifest_{k}_rps", s), val(figs, f"manifest_{k}_cpu", s)
            if r is None or not anon:
                continue
            part = (f"with {'Basic credentials' if k == 'basic' else 'a bearer token'} "
                    f"{r:,.0f} req/s, {100 * r / anon:.0f}% of that")
            if c is not None and anon_cpu is not None:
                part += f", {c:,.0f} µs of server CPU per request ({c - anon_cpu:+,.0f} µs)"
            parts.append(part)
        if parts and anon_cpu is not None:
            lines.append(f"- {name} served the anonymous GET of section 1 at {anon:,.0f} req/s "
                         f"with {anon_cpu:,.0f} µs of server CPU per request; "
                         + "; ".join(parts) + ".")
    ages = [(what, fact_num(facts, f"login_age_{key}")) for what, key in
            (("the Basic run", "manifest_basic"),
             ("the token run with admin's credentials (section 3)", "token_basic"))]
    ages = [(what, age) for what, age in ages if age is not None]
    if ages and val(figs, "manifest_basic_rps", "haven") is not None:
        late = [what for what, age in ages if age >= 60]
        lines.append(
            "- Haven keeps a successful Basic check for 60 s from the check that missed its "
            "cache. Each run with admin's credentials came right after such a miss: "
            + ", ".join(f"{what} ended {age:.0f} s after it" for what, age in ages) + ". "
            + (f"**The cache expired during {' and '.join(late)}**: every request then in "
               "flight paid for a full argon2id check, and the figures include that."
               if late else "The runs met the cache warm throughout, as a client that pulls "
               "steadily does most of the time."))
    if lines:
        sign, verify = rsa_rates(facts)
        lines.append(
            "- docker-registry's htpasswd check runs bcrypt on every request (cost 5 here). "
            "Haven keeps a successful Basic check for 60 s under an HMAC of the credentials "
            "(argon2id runs only on a miss) and reads the user from SQLite on every request; "
            "it checks a bearer token's RS256 signature and decodes its header and claims on "
            "every request"
            + (f" (the signature check alone is {1e6 / verify:.0f} µs on one core here, "
               "`openssl speed rsa2048`)." if verify else "."))
    return lines


def busy_notes(figs):
    """What the server did after answering (section 1)."""
    busy = val(figs, "manifest_busy", "haven")
    if busy is None or busy < 1:
        return []
    return [f"- Haven went on working for {busy:.0f} s after the run: every pull publishes an "
            "`artifact.pulled` event, and the audit-log subscriber writes each to SQLite in a "
            "transaction of its own, after the answer (`src/events/events.c`, whose queue "
            "holds 65,536 events and drops the rest with a warning in `havend.log`). The "
            "runs of sections 2 and 3 each start after that work is done."]


def load_notes(figs, facts, a):
    """Each server's slowdown, what the load achieved meanwhile, and how its users were made."""
    lines = []
    for s, name in SERVERS:
        idle = val(figs, "load_idle_p99", s)
        parts = []
        for cond, what in (("logins", "during the logins"), ("pushes", "during the pushes")):
            v, x = val(figs, f"load_{cond}_p99", s), val(figs, f"load_{cond}_slowdown", s)
            if v is not None and x is not None:
                parts.append(f"{v:.2f} ms {what} ({x:.1f}× as long)")
        if idle is not None and parts:
            lines.append(f"- {name}'s p99: {idle:.2f} ms alone, " + ", ".join(parts) + ".")
    secs = a.load_seconds + 2
    for s, name, how in (("haven", "Haven", "full argon2id checks"),
                         ("registry", "docker-registry", "bcrypt checks, on its login instance")):
        rate, lp99 = val(figs, "load_logins_rate", s), val(figs, "load_logins_login_p99", s)
        n, users = val(figs, "load_logins_n", s), val(figs, "load_logins_users", s)
        if rate is None or n is None:
            continue
        line = (f"- The login burst: {name} answered {n:,.0f} logins in {secs} s "
                f"({rate:,.0f}/s, p99 {lp99:,.0f} ms a login), by {users:,.0f} users")
        if s == "haven":
            if users is not None and n > users:
                line += (f". **{n - users:,.0f} logins reused a user** within the 60 s of "
                         "Haven's credential cache, so fewer than all were full argon2id "
                         "checks; more users (LOGIN_USERS in bench/run.sh) would fix that.")
            else:
                line += f": each logged in at most once, so all were {how}."
        else:
            line += f" in turn: all were {how} (cost 5; docker-registry keeps no cache)."
        lines.append(line)
    if val(figs, "load_logins_rate", "haven") is not None:
        lines.append("- Haven checks passwords on a pool of one thread per CPU at nice 10 "
                     "(`src/base/pool.c`, `src/auth/auth.c`): while the GETs keep the CPUs "
                     "busy, the logins get the CPU time left over. docker-registry's bcrypt runs in another process at "
                     "normal priority, in as many goroutines as there are logins.")
    for s, name, why in (("haven", "Haven", "which fdatasyncs each blob before its 201"),
                         ("registry", "docker-registry", "which does not fsync")):
        d = figs.get(("load_pushes_rate", s))
        if d and not d["error"] and d["value"] is not None:
            lines.append(f"- The pushes: {name} ({why}) received {d['value']:,.0f} MB/s from "
                         f"the {a.pushers} pushes together during the GET run; {d['text']}.")
    for key, name in (("load_users", "Haven's login users"),
                      ("load_htpasswd", "docker-registry's login users")):
        d = facts.get(key)
        if d:
            lines.append(f"- {name}: {d['text']} — `{d['command']}`")
    return lines


def token_notes(figs, facts):
    """How much of a token's cost is its RSA signature."""
    sign, _ = rsa_rates(facts)
    cpu = [(text, val(figs, f"token_{who}_cpu", "haven"))
           for who, text in (("basic", "for admin"), ("anon", "for an anonymous caller"))]
    cpu = [(text, c) for text, c in cpu if c]
    if not sign or not cpu:
        return []
    return [f"- Each token is one RSA-2048 signature, {1e6 / sign:.0f} µs on one core here "
            "(`openssl speed rsa2048`), which is "
            + " and ".join(f"{100 * 1e6 / sign / c:.0f}% of the {c:,.0f} µs of server CPU "
                           f"Haven spent per token {text}" for text, c in cpu) + "."]


def memory_notes(figs):
    """Where each server's idle memory is, and what set Haven's peak."""
    lines = []
    for s, name in SERVERS:
        maps = parse_maps(figs, s)
        if maps:
            lines.append(f"- {name}'s largest mappings at idle (RSS, MiB): "
                         + ", ".join(f"{n} {m:.1f}" for n, m in maps[:10]))
    start, peak = val(figs, "rss_start_hwm", "haven"), val(figs, "rss_peak", "haven")
    if start is not None and peak is not None:
        lines.append(
            f"- Haven's peak was already {start / 1024:.1f} MiB one second after start, before "
            "any request: on first start it hashes the admin password with argon2id, whose "
            "memory cost (`PWHASH_MEMLIMIT` in `src/auth/auth.c`) is paid again by every Basic "
            "login that misses Haven's 60-second cache of successful logins. "
            f"Serving all the benchmarks raised the peak to {peak / 1024:.1f} MiB.")
    return lines


def scaleout_notes(facts):
    """How the scale-out servers ran."""
    d = facts.get("scaleout")
    if not d:
        return []
    return [f"- Set-up: {d['text']}. Commands: `{d['command']}`.",
            "- Targets: Haven's manifest GET on PostgreSQL at least 0.7 of its embedded figure "
            "(section 1); blob pull and push at least docker-registry's on its S3 driver."]


# ---------------------------------------------------------------- scale (bench/scale.sh)
#
# bench/scale.sh writes its figures into the same results file with server "scale" (one per
# request: value = p50 in ms, text = {"label", "target_ms", "p95"}) and "scale-fact" (the
# dataset and the run).  Alone, it renders just this section (scale_markdown) and splices it
# into BENCHMARKS.md (replace_scale_section).

SCALE_TITLE = "## Scale (100k artifacts)"


def scale_lines(figs):
    """The Markdown lines of the scale section ([] when the run has no scale figures)."""
    rows = [d for (k, s), d in figs.items() if s == "scale"]
    facts = {k[len("scale:"):]: d for (k, s), d in figs.items() if s == "scale-fact"}
    if not rows:
        return []
    out = [SCALE_TITLE + "\n"]
    out.append("Harbor's \"small\" performance dataset — 100 projects × 100 repositories × 10 "
               "artifacts × 5 tags — written by `bench/dataset.py` straight into the SQLite "
               "database of a data directory whose schema havend created (metadata only: every "
               "artifact has its own manifest, all share one config and three layers; each "
               "blob is a real file, so pulls work), then measured by `bench/scale.sh` as "
               "`admin` with HTTP Basic: each request sent 5 times unmeasured, then 50 times "
               "by one curl over one keep-alive connection; p50 and p95 of curl's "
               "`time_total` (nearest rank). Targets on the p50: ≤ 20 ms for the lists, "
               "≤ 50 ms for search and statistics. Only Haven is measured: docker-registry "
               "has none of these endpoints. In the commands, `$URL` is the address of the havend under "
               "test and `$PW` the admin password of the run.\n")
    if facts.get("full", {}).get("text") == "0":
        out.append("**Not a full-size dataset** (SCALE_* knobs changed): do not compare with "
                   "the targets.\n")
    if "dataset" in facts:
        out.append(f"Dataset: {facts['dataset']['text']} — `{facts['dataset']['command']}`.")
    if "havend" in facts:
        out.append(f"Haven at {facts['havend']['text']}.")
    out.append("")
    out.append("| request | p50 | p95 | target (p50) | met | command |")
    out.append("| --- | ---: | ---: | ---: | --- | --- |")
    notes = []
    for d in rows:
        meta = json.loads(d["text"] or "{}")
        label, target = meta.get("label", d["key"]), meta.get("target_ms")
        command = d["command"].replace("|", "\\|")
        if d["error"]:
            out.append(f"| {label} | **failed** | — | ≤ {target:g} ms | **no** | `{command}` |")
            notes.append(f"- {label}: {d['error'].strip()[:300]}")
            continue
        p50, p95 = d["value"], meta.get("p95")
        met = "yes" if p50 is not None and p50 <= target else "**no**"
        out.append(f"| {label} | {p50:.2f} ms | {p95:.2f} ms | ≤ {target:g} ms | {met} | "
                   f"`{command}` |")
    out.append("")
    if notes:
        out.append("Requests that failed (an endpoint another change has not served yet "
                   "answers 404 and is listed here):\n")
        out.extend(notes)
        out.append("")
    return out


def scale_markdown(path):
    """The scale section of one results file, alone."""
    figs, _ = load(path)
    return "\n".join(scale_lines(figs)).rstrip() + "\n"


def replace_scale_section(benchmarks, section):
    """Puts section in place of BENCHMARKS.md's scale section (or at its end)."""
    try:
        text = open(benchmarks).read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    start = text.find(SCALE_TITLE)
    if start < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SCALE_TITLE))
        rest = text[end + 1:] if end >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    with open(benchmarks, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- the report

# ---------------------------------------------------------------- garbage collection (bench/gc.sh)
#
# bench/gc.sh writes its figures into the same results file with server "gc" (value = the
# figure, text = {"label", "target"}: the most it may be, or null) and "gc-fact" (the dataset
# and the run).  Alone, it renders just this section (gc_markdown).


def gc_lines(figs):
    """The Markdown lines of the garbage-collection section ([] when the run has none)."""
    rows = [d for (k, s), d in figs.items() if s == "gc"]
    facts = {k[len("gc:"):]: d for (k, s), d in figs.items() if s == "gc-fact"}
    if not rows:
        return []
    out = ["## Garbage collection (1,000,000 blob records)\n"]
    out.append("One online GC run (`POST /api/v2.0/system/gc/schedule`, Manual, workers 1) over "
               "blob records written by `bench/gc_fill.py` straight into the SQLite database of "
               "a havend on the filesystem driver, while `bench/client.py image` pushes one "
               "image after the other beside it; measured by `bench/gc.sh`. Targets: the run "
               "takes < 60 s and no push fails. Only Haven is measured: docker-registry's GC "
               "(`docker-registry garbage-collect`) is offline and needs the registry stopped, "
               "so there is nothing to run side by side. In the commands, `$URL` is the address "
               "of the havend under test and `$PW` the admin password of the run.\n")
    if facts.get("full", {}).get("text") == "0":
        out.append("**Not a full-size dataset** (GC_BLOBS or GC_GARBAGE changed): do not compare "
                   "with the targets.\n")
    if "dataset" in facts:
        out.append(f"Dataset: {facts['dataset']['text']} — `{facts['dataset']['command']}`.")
    if "havend" in facts:
        out.append(f"Haven at {facts['havend']['text']} — `{facts['havend']['command']}`.")
    out.append("")
    out.append("| figure | value | target | met | command |")
    out.append("| --- | ---: | ---: | --- | --- |")
    notes = []
    for d in rows:
        meta = json.loads(d["text"] or "{}")
        label, target = meta.get("label", d["key"]), meta.get("target")
        command = d["command"].replace("|", "\\|")
        want = "—" if target is None else (f"< {target:g}" if target else "0")
        if d["value"] is None:
            out.append(f"| {label} | **failed** | {want} | **no** | `{command}` |")
        else:
            met = "—" if target is None else (
                "yes" if (d["value"] < target if target else d["value"] == 0) and not d["error"]
                else "**no**")
            out.append(f"| {label} | {d['value']:g} | {want} | {met} | `{command}` |")
        if d["error"]:
            notes.append(f"- {label}: {d['error'].strip()[:300]}")
    out.append("")
    if notes:
        out.append("What went wrong:\n")
        out.extend(notes)
        out.append("")
    return out


def gc_markdown(path):
    """The garbage-collection section of one results file, alone."""
    figs, _ = load(path)
    return "\n".join(gc_lines(figs)).rstrip() + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--full", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--blob-mib", type=int, default=1024)
    p.add_argument("--layers", type=int, default=50)
    p.add_argument("--wrk-seconds", type=int, default=15)
    p.add_argument("--load-seconds", type=int, default=10)
    p.add_argument("--login-conns", type=int, default=16)
    p.add_argument("--pushers", type=int, default=3)
    a = p.parse_args()
    figs, facts = load(a.results)
    size = "1 GiB" if a.blob_mib == 1024 else f"{a.blob_mib} MiB"
    w = []
    out = w.append

    out("# Benchmarks\n")
    out("Haven against Debian's `docker-registry` (distribution "
        f"{facts.get('registry_version', {}).get('text', '2.8')}), measured side by side in "
        "one run of `make bench` (`bench/run.sh`) on the same machine, with the same clients. "
        "This file is regenerated by every full run; each run's own report is kept in "
        "`bench/results/` (not committed). Ratios are Haven / docker-registry: above 1 means "
        "Haven is higher, which is better for throughput and worse for time, latency and "
        "memory.\n")
    out(f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Haven at "
        f"{facts.get('havend', {}).get('text', '?')}.")
    if not a.full:
        out(f"\n**Not a full-size run** (blob {a.blob_mib} MiB, wrk {a.wrk_seconds} s, "
            f"best of {a.reps}, {a.layers} layers): do not compare with the targets.")
    out("")

    out("## Summary\n")
    out("| benchmark | metric | Haven | docker-registry | Haven/docker-registry | target | met |")
    out("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for key, (bench, metric, *_rest) in FIGURES.items():
        if not any((key, s) in figs for s, _ in SERVERS):
            continue
        if FIGURES[key][4] is None and key not in SUMMARY_EXTRA:
            continue  # the explaining rows are in each benchmark's own table
        out(f"| {bench} | {metric} | {cell(figs, key, 'haven')} | "
            f"{cell(figs, key, 'registry')} | {ratio_cell(figs, key)} | {target_text(key)} | "
            f"{met_cell(figs, key)} |")
    out("")

    out("## Machine\n")
    out("| | | measured with |")
    out("| --- | --- | --- |")
    for key, label in MACHINE:
        d = facts.get(key)
        if d:
            out(f"| {label} | {d['text']} | `{d['command']}` |")
    out("")

    out("## How the two are run\n")
    out("- **Haven**: `build/release/havend` (CMake RelWithDebInfo), default settings (one "
        "thread per connection; password hashing on a pool of one thread per CPU at lower "
        "priority), `HAVEN_LOG_LEVEL=warn`. Pushes authenticate as `admin` with "
        "HTTP Basic; pulls from the public project `library` are anonymous: as Harbor does, "
        "Haven answers a request without credentials with a Bearer challenge, so each "
        "anonymous client (wrk, curl) first takes an anonymous pull token from "
        "`/service/token`, as docker, podman and containerd do, and sends it (the "
        "recorded commands show how). Haven fsyncs "
        "each blob and commits its SQLite metadata before it answers `201`.")
    out("- **docker-registry**: Debian's build, `docker-registry serve` with the filesystem "
        "driver, access log off, `delete.enabled`, the in-memory blob descriptor cache that "
        "Debian's and upstream's sample configs enable, and **no authentication** (Haven checks "
        "credentials on every push request). For sections 2 and 7 a second instance, the same "
        "but with htpasswd auth, runs for the time of its benchmark. It does not fsync blobs.")
    out("- Both listen on free 127.0.0.1 ports picked at run time, keep their data in one "
        "scratch directory `$WORK` (`build/bench.XXXXXX`, deleted afterwards) on the disk "
        "described above, and are measured one after the other, Haven first, by the same "
        "clients.")
    out("- Blob pushes use `bench/client.py`: the file goes out with `sendfile(2)` from the "
        "page cache, so the client costs little CPU. Every push is a blob the registry has "
        "never seen (the last 16 bytes of the file are replaced by a random nonce) into a "
        "fresh repository; `sync` runs before each push so the previous push's dirty pages "
        "are not written back during the next.")
    out("- Each `skopeo copy` repetition pushes its own image (same shape, different random "
        "layers) into a fresh repository, and pulls it back into a fresh `oci:` directory: "
        "Haven shares blobs across the repositories of a project (a `HEAD` of a layer that is "
        "already in `library` answers 200), so pushing the same layers again would upload "
        "nothing, and skopeo's blob-info cache would turn repeated layers into mounts.")
    out("- Every wrk run is followed by a wait until the server is idle (less than 2% of a CPU "
        "over a second; \"still busy after the run\" is that wait), so that work one benchmark "
        "leaves behind does not run into the next.")
    haven_log = facts.get("haven_log", {}).get("text")
    if haven_log:
        out(f"- `havend.log` over the whole run: {haven_log}.")
    out("- \"server CPU\" is the user + system time the whole server process used during "
        "the benchmark (`/proc/<pid>/stat`), divided by what it served.")
    out(f"- \"best\" is the best of {a.reps} runs; all samples are listed under each table.\n")

    sections = {}
    for key, (bench, *_rest) in FIGURES.items():
        sections.setdefault(bench, []).append(key)
    titles = {
        "1. Manifest GET by tag":
            f"`wrk -t2 -c32 -d{a.wrk_seconds}s --latency` on "
            "`GET /v2/library/bench/manifests/latest` with `Accept: "
            "application/vnd.oci.image.manifest.v1+json`, after pushing the same small image "
            "(config + one 4 KiB layer) to both. `bench/manifest.lua` sets the header and "
            "makes any non-2xx answer fail the run. Target: Haven ≥ 5× the requests/s, "
            "lower p99.",
        "2. Manifest GET with credentials":
            "The GET of section 1 with credentials on every request, the same "
            f"`wrk -t2 -c32 -d{a.wrk_seconds}s --latency`. Haven: admin's Basic credentials "
            "(`bench/manifest_basic.lua`), and a registry token fetched once from "
            "`/service/token` with admin's credentials for `repository:library/bench:pull` "
            "(`bench/manifest_bearer.lua` sends `Authorization: Bearer <token>`). "
            "docker-registry: a second instance with htpasswd auth (`"
            + facts.get("registry_auth", {}).get("text", "htpasswd")
            + "` in its config, the file made by `"
            + facts.get("registry_auth", {}).get("command", "htpasswd -B -C 5")
            + "`: bcrypt, cost 5) and the same image pushed to it, with its user's Basic "
            "credentials. docker-registry has no token service: "
            "its bearer rows are n/a, and the last two rows compare Haven's bearer figure with "
            "docker-registry's Basic one, its only authenticated pull. Before each run one "
            "request must answer 200 with the credentials and 401 with wrong ones (a forged "
            "token for Haven), and any non-2xx answer fails the run. Target: Haven ≥ 5× the "
            "requests/s.",
        "3. Token service":
            f"`wrk -t2 -c32 -d{a.wrk_seconds}s --latency -s bench/token.lua` on "
            "`GET /service/token?service=harbor-registry&scope=repository:library/bench:pull`, "
            "what docker asks after a Bearer challenge: with admin's Basic credentials, and "
            "anonymous (`library` is public: the anonymous token grants pull). A good answer is "
            "a 200 whose body holds a token; anything else fails the run. Haven only: "
            "docker-registry has no token service.",
        "4. Blob pull":
            f"A {size} random blob pushed to both, then downloaded with curl to `/dev/null`, "
            f"best of {a.reps}. The loopback ceiling is the same curl download from a server "
            "that does nothing but sendfile(2) the file (`bench/client.py serve-file`, see "
            "Machine), measured earlier in the same run. Targets: Haven ≥ 1.1× "
            "docker-registry, and ≥ 85% of the loopback ceiling.",
        "5. Blob push":
            f"A {size} random blob, timed from the `POST` that opens the upload to the `201` "
            "of the closing `PUT ?digest=`: monolithic sends the whole body with the PUT, "
            "chunked sends 64 MiB PATCHes with `Content-Range` and an empty PUT. Best of "
            f"{a.reps}, each to a fresh repository. Target: Haven ≥ 1.3×.",
        "6. skopeo copy":
            f"`skopeo copy` of a {a.layers}-layer image "
            f"({facts.get('image', {}).get('text', '')}) "
            "from an `oci:` layout to the registry, and back into a fresh `oci:` directory. "
            f"Best of {a.reps}. Target: Haven faster.",
        "7. Manifest GET under load":
            f"`wrk -t2 -c8 -d{a.load_seconds}s --timeout 30s --latency -s bench/manifest.lua` "
            "on the "
            "anonymous GET of section 1, three times per server, one after the other: alone; "
            f"during a burst of logins, a second wrk (`-t1 -c{a.login_conns} -s "
            "bench/login.lua`, from 1 s before the GET run to 1 s after it) sending one login "
            "per request; and during large pushes. Haven's logins are what `docker login` "
            "sends, `GET /service/token?service=harbor-registry&scope=repository:library/bench:pull` "
            "with Basic credentials, each by the next of "
            f"{int(val(figs, 'load_logins_users', 'haven') or 0) or 'the'} users made beforehand through "
            "`POST /api/v2.0/users`, so that no user logs in twice within the 60 s Haven "
            "caches a successful check: every login is a full argon2id check. "
            "docker-registry's logins are `GET /v2/` with Basic credentials of "
            f"{int(val(figs, 'load_logins_users', 'registry') or 0) or 'its'} htpasswd users in turn (bcrypt, "
            "cost 5, checked on every request); as docker-registry cannot serve anonymous "
            "pulls and check passwords in one process, they go to a second instance with "
            "htpasswd auth, which shares the CPUs with the GETs but not the process. The "
            f"pushes are {a.pushers} `bench/client.py blob --mode mono` processes sending "
            f"the {size} blob one after another to the measured instance (without section "
            "5's `sync` before each), the GET run starting 1 s after all have hashed the file "
            "and the pushes killed when it ends. Between conditions the load is stopped, "
            "`sync` runs and the server settles. Each server's p99 under load over its p99 "
            "alone is its own slowdown. Target: Haven's p99 during each load lower than "
            "docker-registry's.",
        "8. Memory":
            "VmRSS from `/proc/<pid>/status` one second after each server first answers "
            "`/v2/`, and VmHWM after all benchmarks. Target: Haven's idle RSS ≤ ¼ of "
            "docker-registry's.",
        "9. Scale-out: PostgreSQL + S3":
            "A second pair of servers, started after section 8: havend with its metadata in a "
            "throwaway PostgreSQL 15 cluster (`tests/e2e/pgcluster.py`) and its blobs in an "
            "s3rver bucket (`tests/s3rver/serve.js`), and docker-registry on its S3 driver "
            "against the same s3rver (another bucket; `regionendpoint`, `forcepathstyle`, "
            "redirects to presigned URLs disabled, so both pass the bytes themselves). Measured "
            f"as sections 1, 4 and 5 measure the embedded pair: `wrk -t2 -c32 "
            f"-d{a.wrk_seconds}s` anonymous manifest GETs, the {size} blob pulled with curl "
            f"and pushed monolithically (best of {a.reps}). Targets: Haven's manifest GET ≥ "
            "0.7× its embedded figure; blob pull and push ≥ docker-registry's.",
    }
    for bench, keys in sections.items():
        keys = [k for k in keys if any((k, s) in figs for s, _ in SERVERS)]
        if not keys:
            continue
        out(f"## {bench}\n")
        out(titles[bench] + "\n")
        out("| metric | Haven | docker-registry | Haven/docker-registry | target | met |")
        out("| --- | ---: | ---: | ---: | ---: | --- |")
        for key in keys:
            out(f"| {FIGURES[key][1]} | {cell(figs, key, 'haven')} | "
                f"{cell(figs, key, 'registry')} | {ratio_cell(figs, key)} | "
                f"{target_text(key)} | {met_cell(figs, key)} |")
        out("")
        seen = set()
        for key in keys:
            for s, name in SERVERS:
                d = figs.get((key, s))
                if not d or key in QUOTIENT or (s, d["command"]) in seen:
                    continue
                seen.add((s, d["command"]))
                line = f"- {name}: `{d['command']}`"
                if d["samples"]:
                    line += " — samples: " + ", ".join(f"{x:g}" for x in d["samples"])
                out(line)
        out("")
        notes = {"1. Manifest GET by tag": lambda: busy_notes(figs),
                 "2. Manifest GET with credentials": lambda: auth_notes(figs, facts),
                 "3. Token service": lambda: token_notes(figs, facts),
                 "7. Manifest GET under load": lambda: load_notes(figs, facts, a),
                 "8. Memory": lambda: memory_notes(figs),
                 "9. Scale-out: PostgreSQL + S3": lambda: scaleout_notes(facts)}.get(bench, list)()
        if notes:
            out("\n".join(notes) + "\n")
        for key in keys:
            if met(figs, key) is not False:
                continue
            text = limit_failed(figs, facts, key)
            missing = [name for s, name in SERVERS if (key, s) not in figs]
            if text is None and missing:
                text = f"Not measured on {' and '.join(missing)} in this run."
            elif text is None and key in OF_FACT and of_fact(figs, key, "haven") is None:
                text = f"This run has no {OF_FACT[key][1]} figure to compare with (see Machine)."
            elif text is None and key in LIMITS:
                text = LIMITS[key](figs, facts)
            if text:
                out(f"**What limits this ({FIGURES[key][1]}).** {text}\n")
    w.extend(scale_lines(figs))  # bench/scale.sh's section, when the run measured it
    w.extend(gc_lines(figs))  # bench/gc.sh's, likewise
    sys.stdout.write("\n".join(w).rstrip() + "\n")


if __name__ == "__main__":
    main()
