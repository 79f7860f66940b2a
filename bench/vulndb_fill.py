"""Writes an osv.dev-style all.zip of N generated OSV records for bench/vulndb.sh.

Records look like the real feeds' in size and shape: a Debian DSA-like record with two
releases, a GHSA-like npm or PyPI record with CVSS v3, aliases, CWE ids and references, a
details text of ~600 bytes.  Deterministic (seeded) so that runs compare.
"""

import json
import random
import sys
import zipfile

VECTORS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
           "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"]


def record(i: int, rnd: random.Random) -> dict:
    cve = f"CVE-{2015 + i % 10}-{10000 + i}"
    details = " ".join(rnd.choice(["overflow", "parser", "crafted", "input", "remote",
                                   "attacker", "memory", "denial", "service", "heap"])
                       for _ in range(80))
    if i % 3 == 0:
        pkg = f"srcpkg{i % 5000}"
        return {"id": f"DSA-{i}-1", "modified": "2024-01-01T00:00:00Z", "upstream": [cve],
                "summary": f"{pkg} - security update", "details": details,
                "affected": [{"package": {"ecosystem": f"Debian:{rel}", "name": pkg},
                              "ranges": [{"type": "ECOSYSTEM", "events": [
                                  {"introduced": "0"}, {"fixed": f"1.{i % 50}-{rel}"}]}]}
                             for rel in (11, 12)],
                "references": [{"type": "ADVISORY",
                                "url": f"https://www.debian.org/security/dsa-{i}"}]}
    eco = "npm" if i % 3 == 1 else "PyPI"
    return {"id": f"GHSA-{i:04x}-bench-{i % 997:03d}", "modified": "2024-01-01T00:00:00Z",
            "aliases": [cve], "summary": "generated advisory", "details": details,
            "severity": [{"type": "CVSS_V3", "score": VECTORS[i % 3]}],
            "affected": [{"package": {"ecosystem": eco, "name": f"lib{i % 20000}"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [
                              {"introduced": "0"}, {"fixed": f"{i % 9}.{i % 17}.{i % 5}"}]}]}],
            "references": [{"type": "WEB", "url": f"https://example.org/advisory/{i}"}] * 3,
            "database_specific": {"cwe_ids": ["CWE-79"], "severity": "HIGH"}}


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(10)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            r = record(i, rnd)
            z.writestr(f"{r['id']}.json", json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
