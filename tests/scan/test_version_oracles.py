"""
Differential tests of Haven's version comparators (src/scan/version*.c, run through the
scan_vercmp filter) against each ecosystem's own implementation as Debian ships it:

  dpkg      python3-apt apt_pkg.version_compare (dpkg's algorithm)
  rpm       python3-rpm rpm.labelCompare
  pep440    python3-packaging packaging.version.Version
  semver    node-semver (npm's semver)
  go        golang.org/x/mod/semver (golang-golang-x-mod-dev), built with golang-go
  maven     maven-artifact's ComparableVersion (libmaven3-core-java), its main
  rubygems  ruby's Gem::Version
  composer  composer/semver's VersionParser::normalize (php-composer-semver) and PHP's
            version_compare

over thousands of pairs generated from each scheme's grammar (plus, for dpkg, every version
this machine's apt knows), one oracle process per scheme.  apk and NuGet have no oracle in
Debian: they are checked against their projects' own test vectors (tests/data/scan/).

Run by ctest (scan/version_oracles) with HAVEN_VERCMP set to the filter.
"""
import os
import random
import shutil
import subprocess

import pytest

VERCMP = os.environ.get("HAVEN_VERCMP", "")
DATA = os.path.join(os.path.dirname(__file__), "..", "data", "scan")
PAIRS = 3000


def ours(scheme, rows):
    """Runs scan_vercmp over rows (tuples of one or two versions); its answers, in order."""
    text = "".join(scheme + "\t" + "\t".join(r) + "\n" for r in rows)
    out = subprocess.run([VERCMP], input=text, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(rows), out.stderr
    return lines


def sign(x):
    return (x > 0) - (x < 0)


def pairs_of(pool, rng, n=PAIRS):
    """Random pairs from pool, plus each version with itself and its neighbours in pool."""
    pool = list(dict.fromkeys(pool))
    out = [(rng.choice(pool), rng.choice(pool)) for _ in range(n)]
    out += [(pool[i], pool[i + 1]) for i in range(len(pool) - 1)]
    out += [(v, v) for v in pool[:50]]
    return out


def check(scheme, pairs, oracle):
    """Asserts that scan_vercmp orders every pair as oracle (a list of signs) does."""
    got = ours(scheme, pairs)
    want = oracle(pairs)
    bad = [(a, b, g, w) for (a, b), g, w in zip(pairs, got, want) if g != str(w)]
    assert not bad, "%d of %d pairs differ, e.g. %r" % (len(bad), len(pairs), bad[:10])
    # and the order is antisymmetric
    back = ours(scheme, [(b, a) for a, b in pairs])
    assert all(int(g) == -int(r) for g, r in zip(got, back))


def check_valid(scheme, versions, oracle):
    got = ours(scheme, [(v,) for v in versions])
    want = oracle(versions)
    bad = [(v, g, w) for v, g, w in zip(versions, got, want) if (g == "valid") != w]
    assert not bad, "%d of %d validity answers differ, e.g. %r" % (len(bad), len(versions), bad[:10])
    assert all(g == "valid" or g.startswith("error: ") for g in got)


def oracle_process(argv, rows, **kw):
    """One oracle process over rows (tab-separated lines); its output lines."""
    text = "".join("\t".join(r) + "\n" for r in rows)
    out = subprocess.run(argv, input=text, capture_output=True, text=True, check=True, **kw)
    lines = out.stdout.splitlines()
    assert len(lines) == len(rows), out.stderr[-2000:]
    return lines


def pick(rng, *choices):
    return rng.choice(choices)


def need(path):
    if not os.path.exists(path) and not shutil.which(path):
        pytest.fail("%s is missing: run scripts/deps.sh test" % path)


@pytest.fixture(scope="module", autouse=True)
def vercmp():
    assert VERCMP and os.access(VERCMP, os.X_OK), "HAVEN_VERCMP must name the scan_vercmp filter"


# ---------------------------------------------------------------- dpkg


def dpkg_random(rng):
    def part(alphabet, n):
        return "".join(rng.choice(alphabet) for _ in range(n))

    upstream = pick(rng, "0", "1", "2", "10") + part("0123456789..ab+~Z", rng.randint(0, 5))
    revision = part("0123456789.ab+~", rng.randint(1, 3)) if rng.random() < 0.6 else ""
    if revision and rng.random() < 0.2:
        upstream += "-" + part("019a~", rng.randint(1, 2))
    epoch = pick(rng, "0:", "1:", "2:", "01:") if rng.random() < 0.2 else ""
    return epoch + upstream + ("-" + revision if revision else "")


def apt_versions():
    """Every version in this machine's dpkg status and apt lists."""
    out = set()
    with open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") as f:
        out.update(l[9:].strip() for l in f if l.startswith("Version: "))
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True)
    out.update(l[9:].strip() for l in dump.stdout.splitlines() if l.startswith("Version: "))
    return sorted(out)


def test_dpkg_against_apt_pkg():
    import apt_pkg

    apt_pkg.init_system()
    rng = random.Random(1)
    real = apt_versions()
    assert len(real) > 500, "apt knows too few versions to compare"
    pool = [dpkg_random(rng) for _ in range(1500)]
    # anything dpkg accepts, from all the characters it allows
    noise = [rng.choice("0123456789") + "".join(rng.choice("0123456789azAZ.+~-:")
                                                for _ in range(rng.randint(0, 8)))
             for _ in range(3000)]
    noise = [v for v, ok in zip(noise, ours("dpkg", [(v,) for v in noise])) if ok == "valid"]
    pairs = pairs_of(pool, rng) + pairs_of(real, rng, 2000) + pairs_of(noise, rng, 1000)
    check("dpkg", pairs, lambda ps: [sign(apt_pkg.version_compare(a, b)) for a, b in ps])


def test_dpkg_rejects_what_dpkg_rejects():
    got = ours("dpkg", [("",), ("a1.0",), ("1.0-",), (":1.0",), ("x:1.0",), ("1:",), ("1.0 2",),
                        ("1.0_1",), ("1.0-1_1",), ("99999999999:1",)])
    assert all(g.startswith("error: ") for g in got), got
    assert ours("dpkg", [(" 1.0 ",), ("1:1.0-1-2",), ("1:1.0:1-1",)]) == ["valid"] * 3


# ---------------------------------------------------------------- rpm


def rpm_random(rng):
    def part(n):
        return "".join(rng.choice("0123456789ab..._~^+Z") for _ in range(n))

    version = pick(rng, "0", "1", "2", "10", "a") + part(rng.randint(0, 5))
    release = "-" + pick(rng, "1", "2", "1.el8", "0") + part(rng.randint(0, 2)) if rng.random() < 0.7 else ""
    epoch = pick(rng, "0:", "1:", "2:") if rng.random() < 0.2 else ""
    return epoch + version + release


def rpm_split(evr):
    """rpm's parseEVR."""
    i = 0
    while i < len(evr) and evr[i].isdigit():
        i += 1
    epoch, version = (evr[:i] or "0", evr[i + 1:]) if evr[i:i + 1] == ":" else ("0", evr)
    if "-" in version:
        version, release = version.rsplit("-", 1)
    else:
        release = None
    return epoch, version, release


def test_rpm_against_labelcompare():
    import rpm

    rng = random.Random(2)
    # every printable character: rpm compares whatever it is given
    noise = ["".join(chr(rng.randint(33, 126)) for _ in range(rng.randint(1, 8)))
             for _ in range(1500)]
    noise = [v for v in noise if rpm_split(v)[1]]
    pairs = pairs_of([rpm_random(rng) for _ in range(1500)], rng) + pairs_of(noise, rng, 1000)
    check("rpm", pairs,
          lambda ps: [sign(rpm.labelCompare(rpm_split(a), rpm_split(b))) for a, b in ps])


# ---------------------------------------------------------------- PEP 440


def pep440_random(rng):
    v = pick(rng, "", "", "", "v", "1!", "V2!") + ".".join(
        pick(rng, "0", "1", "2", "00", "10") for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.4:
        v += pick(rng, "", ".", "-", "_") + pick(rng, "a", "b", "rc", "c", "alpha", "beta", "pre",
                                                  "preview", "A", "RC") + pick(rng, "", "0", "1", "2", ".1", "-3")
    if rng.random() < 0.3:
        v += pick(rng, "-1", "-0", ".post", "post1", ".post2", "-r", "rev3", "_post0", ".POST1")
    if rng.random() < 0.3:
        v += pick(rng, ".dev", "dev1", ".dev0", "-dev2", "_DEV3")
    if rng.random() < 0.2:
        v += "+" + pick(rng, "1", "abc", "ubuntu.1", "Ubuntu-2", "1.a", "a.1", "01")
    return v


def pep440_noise(rng):
    return "".join(rng.choice("0123456789.!+-_ vabcdeiloprstvw") for _ in range(rng.randint(0, 12)))


def test_pep440_against_packaging():
    from packaging.version import InvalidVersion, Version

    import importlib.metadata

    rng = random.Random(3)
    # and the versions of the Python distributions installed here
    real = [d.version for d in importlib.metadata.distributions() if d.version]
    pairs = pairs_of([pep440_random(rng) for _ in range(2000)] + real, rng)
    check("pep440", pairs, lambda ps: [sign((Version(a) > Version(b)) - (Version(a) < Version(b)))
                                       for a, b in ps])

    def valid(v):
        try:
            Version(v)
            return True
        except InvalidVersion:
            return False

    noise = [pep440_noise(rng) for _ in range(3000)] + [pep440_random(rng) + pep440_noise(rng)[:2]
                                                       for _ in range(2000)]
    check_valid("pep440", noise, lambda vs: [valid(v) for v in vs])


# ---------------------------------------------------------------- SemVer (npm)

SEMVER_JS = r"""
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
lines.pop();
const out = lines.map((l) => {
  const f = l.split('\t');
  if (f.length == 1) return semver.valid(f[0]) === null ? 'invalid' : 'valid';
  return String(semver.compare(f[0], f[1]));
});
process.stdout.write(out.join('\n') + '\n');
"""


# Debian's node modules, for a node that is not Debian's
NODE_ENV = dict(os.environ, NODE_PATH="/usr/share/nodejs")


def semver_random(rng, v=""):
    s = v + ".".join(pick(rng, "0", "1", "2", "10", "11") for _ in range(3))
    if rng.random() < 0.5:
        s += "-" + ".".join(pick(rng, "alpha", "beta", "rc", "0", "1", "2", "10", "a-b", "-", "x1", "RC")
                            for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        s += "+" + pick(rng, "build", "001", "a.b", "incompatible", "x-y.1")
    return s


def semver_noise(rng):
    return "".join(rng.choice("0123456789.-+vabZ") for _ in range(rng.randint(0, 12)))


def test_semver_against_node_semver():
    need("/usr/share/nodejs/semver")
    rng = random.Random(4)
    pairs = pairs_of([semver_random(rng, pick(rng, "", "", "v")) for _ in range(2000)], rng)
    check("semver", pairs, lambda ps: oracle_process(["node", "-e", SEMVER_JS], ps, env=NODE_ENV))
    noise = [semver_noise(rng) for _ in range(3000)]
    check_valid("semver", noise,
                lambda vs: [r == "valid" for r in oracle_process(["node", "-e", SEMVER_JS],
                                                                 [(v,) for v in vs], env=NODE_ENV)])


# ---------------------------------------------------------------- Go

GO_MAIN = r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		if len(f) == 1 {
			if semver.IsValid(f[0]) {
				fmt.Fprintln(out, "valid")
			} else {
				fmt.Fprintln(out, "invalid")
			}
		} else {
			fmt.Fprintln(out, semver.Compare(f[0], f[1]))
		}
	}
}
"""


def go_random(rng):
    n = rng.random()
    if n < 0.1:
        return "v" + pick(rng, "0", "1", "2", "10")
    if n < 0.2:
        return "v" + pick(rng, "0", "1", "2") + "." + pick(rng, "0", "1", "10")
    if n < 0.4:  # pseudo-versions
        base = pick(rng, "v0.0.0-", "v1.2.3-0.", "v1.2.4-pre.0.", "v2.0.0-")
        return base + pick(rng, "20190101000000", "20200202010101", "20191231235959") + "-" + pick(
            rng, "abcdef123456", "0123456789ab", "ffffffffffff")
    v = semver_random(rng, "v")
    return v + "+incompatible" if rng.random() < 0.1 and "+" not in v else v


def test_go_against_x_mod_semver(tmp_path):
    need("go")
    need("/usr/share/gocode/src/golang.org/x/mod/semver")
    (tmp_path / "main.go").write_text(GO_MAIN)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=str(tmp_path / "cache"), GOFLAGS="")
    subprocess.run(["go", "build", "-o", str(tmp_path / "gosemver"), str(tmp_path / "main.go")],
                   env=env, check=True, capture_output=True)
    oracle = [str(tmp_path / "gosemver")]
    rng = random.Random(5)
    pairs = pairs_of([go_random(rng) for _ in range(2000)], rng)
    check("go", pairs, lambda ps: oracle_process(oracle, ps))
    noise = ["v" + semver_noise(rng) for _ in range(3000)]
    check_valid("go", noise, lambda vs: [r == "valid" for r in oracle_process(oracle, [(v,) for v in vs])])
    # OSV writes Go versions without the 'v'
    assert ours("go", [("1.2.3", "v1.2.3"), ("0", "v0.0.0")]) == ["0", "0"]


# ---------------------------------------------------------------- Maven

MAVEN_JAR = "/usr/share/java/maven3-artifact.jar"


def maven_random(rng):
    out = pick(rng, "1", "0", "2", "1.0", "01")
    for _ in range(rng.randint(0, 4)):
        out += pick(rng, ".", "-", "", "", ".", "-") + pick(
            rng, "0", "1", "2", "10", "alpha", "a", "b", "m", "beta", "milestone", "rc", "cr",
            "RC", "snapshot", "SNAPSHOT", "ga", "final", "release", "sp", "foo", "bar", "x", "")
    return out


def maven_oracle(pairs):
    """ComparableVersion's main compares each argument with the one before it: give it
    a1 b1 a2 b2 ... and read every other comparison."""
    args = [v for p in pairs for v in p]
    out = subprocess.run(["java", "-cp", MAVEN_JAR,
                          "org.apache.maven.artifact.versioning.ComparableVersion"] + args,
                         capture_output=True, text=True, check=True).stdout
    cmps = [l for l in out.splitlines() if l.startswith("   ")]
    assert len(cmps) == len(args) - 1
    signs = []
    for (a, b), line in zip(pairs, cmps[::2]):
        op = line[3 + len(a) + 1:].split(" ")[0]
        signs.append({"<": -1, "==": 0, ">": 1}[op])
    return signs


def test_maven_against_comparable_version():
    need("java")
    need(MAVEN_JAR)
    rng = random.Random(6)
    noise = ["".join(rng.choice("0123456789.-_+abcmrsxAZ") for _ in range(rng.randint(1, 10)))
             for _ in range(500)]
    pairs = pairs_of([maven_random(rng) for _ in range(1500)], rng, 2000) + pairs_of(noise, rng, 500)
    check("maven", pairs, maven_oracle)


# ---------------------------------------------------------------- RubyGems

GEM_RB = r"""
STDIN.each_line do |l|
  f = l.chomp.split("\t", -1)
  f = [""] if f.empty?
  if f.size == 1
    puts(Gem::Version.correct?(f[0]) ? "valid" : "invalid")
  else
    puts(Gem::Version.new(f[0]) <=> Gem::Version.new(f[1]))
  end
end
"""


def gem_random(rng):
    out = pick(rng, "0", "1", "2", "10", "01")
    for _ in range(rng.randint(0, 4)):
        out += "." + pick(rng, "0", "1", "2", "a", "b", "pre", "rc1", "B", "0a", "00")
    if rng.random() < 0.3:
        out += "-" + pick(rng, "1", "a", "rc.1", "beta-2", "pre")
    return out


def test_rubygems_against_gem_version():
    need("ruby")
    rng = random.Random(7)
    pairs = pairs_of([gem_random(rng) for _ in range(1500)], rng)
    check("rubygems", pairs, lambda ps: oracle_process(["ruby", "-e", GEM_RB], ps))
    noise = ["".join(rng.choice("0123456789.-aZ ") for _ in range(rng.randint(0, 10)))
             for _ in range(3000)]
    check_valid("rubygems", noise, lambda vs: [r == "valid" for r in oracle_process(
        ["ruby", "-e", GEM_RB], [(v,) for v in vs])])


# ---------------------------------------------------------------- Composer

COMPOSER_PHP = r"""
require '/usr/share/php/Composer/Semver/autoload.php';
$p = new Composer\Semver\VersionParser();
while (($l = fgets(STDIN)) !== false) {
    $f = explode("\t", rtrim($l, "\n"));
    if (count($f) == 1) {
        try {
            echo strpos($p->normalize($f[0]), 'dev-') === 0 ? "invalid\n" : "valid\n";
        } catch (Exception $e) {
            echo "invalid\n";
        }
    } else {
        echo version_compare($p->normalize($f[0]), $p->normalize($f[1])), "\n";
    }
}
"""


def composer_random(rng):
    n = rng.random()
    if n < 0.1:
        return pick(rng, "1", "2", "v1", "10") + pick(rng, ".x", ".*", ".0.x", ".X") + pick(rng, "-dev", ".dev", "dev")
    if n < 0.2:
        return pick(rng, "2024", "2023", "v2024") + pick(rng, "-01-31", "0131", ".01.31", ".01.31.1", "-01") + pick(
            rng, "", "", "-beta", "-dev", "-RC1")
    v = pick(rng, "", "", "v", "V") + ".".join(pick(rng, "0", "1", "2", "10") for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.5:
        v += pick(rng, "", "-", ".", "_") + pick(rng, "alpha", "a", "beta", "b", "RC", "rc", "patch",
                                                  "pl", "p", "stable") + pick(rng, "", "1", "2", ".1", "-3", ".1.2")
    if rng.random() < 0.2:
        v += pick(rng, "-dev", ".dev", "dev")
    if rng.random() < 0.1:
        v += pick(rng, "+build", "@dev", "@stable", " as 2.0")
    return v


def test_composer_against_composer_semver():
    need("php")
    need("/usr/share/php/Composer/Semver/autoload.php")
    rng = random.Random(8)
    pairs = pairs_of([composer_random(rng) for _ in range(1500)], rng)
    check("composer", pairs, lambda ps: oracle_process(["php", "-r", COMPOSER_PHP], ps))
    noise = [composer_random(rng)[:rng.randint(0, 12)] + "".join(
        rng.choice("0123456789.-_vabdeprx@+ ") for _ in range(rng.randint(0, 4))) for _ in range(3000)]
    check_valid("composer", noise, lambda vs: [r == "valid" for r in oracle_process(
        ["php", "-r", COMPOSER_PHP], [(v,) for v in vs])])


# ---------------------------------------------------------------- apk and NuGet: vectors


def vectors(name):
    ops = {"<": "-1", "=": "0", ">": "1"}
    cmp, valid = [], []
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] in ("valid", "invalid"):
                valid.append((w[1], w[0] == "valid"))
            else:
                cmp.append(((w[0], w[2]), ops[w[1]]))
    return cmp, valid


@pytest.mark.parametrize("scheme,name", [("apk", "apk.txt"), ("nuget", "nuget.txt")])
def test_vectors(scheme, name):
    cmp, valid = vectors(name)
    got = ours(scheme, [p for p, _ in cmp])
    bad = [(p, g, w) for (p, w), g in zip(cmp, got) if g != w]
    assert not bad, bad
    got = ours(scheme, [(v,) for v, _ in valid])
    bad = [(v, g) for (v, w), g in zip(valid, got) if (g == "valid") != w]
    assert not bad, bad
