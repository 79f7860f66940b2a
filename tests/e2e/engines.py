"""Container engines of the end-to-end suite: one private containerd, one dockerd on it.

Debian's containerd and docker.io (scripts/deps.sh installs them) run as root with every
path of their own under one short directory in /tmp (unix socket paths are limited to 107
bytes, pytest's temp dirs are longer): containerd gets a config file with its own root,
state, grpc/ttrpc sockets, no debug socket and no CRI plugin; dockerd gets its own
data-root, exec-root, pidfile, socket, an empty daemon.json instead of /etc/docker's, the
vfs driver, no iptables, no bridge, and `--containerd` pointing at our containerd, so that
it neither starts a managed containerd nor uses the system's /run/containerd socket (which
dockerd picks whenever it exists).  dockerd keeps its containers in containerd's `moby`
namespace; the ctr tests use namespaces of their own.  Their logs live in pytest's temp dir.

A daemon that does not come up within START_TIMEOUT fails the tests that need it, with
the tail of its log.  Stopping is SIGTERM, then SIGKILL; then leftover shims (found by
our socket path in their command line) are killed by pid, everything mounted below the
directory is unmounted and the directory is removed.

Test images are built here without any network: a docker-archive tarball (`docker save`
format, loadable by `docker load` and `ctr images import`) whose one layer holds the
static busybox of Debian's busybox-static, so `docker run … /bin/busybox echo hi` really
runs.  The arm64 variant has the same layer and says arm64 in its config: it is for
manifest lists, not for running.
"""

import ctypes
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

# Debian's binaries by path: another docker (e.g. a newer CLI in /usr/local/bin) may come
# first in $PATH, and this suite is about the clients Debian ships.
DOCKERD = "/usr/sbin/dockerd"
DOCKER = "/usr/bin/docker"
CONTAINERD = "/usr/bin/containerd"
CTR = "/usr/bin/ctr"
BUSYBOX = "/bin/busybox"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
CLIENT_TIMEOUT = 120.0  # every docker/ctr command: a hang fails the test, not the run

live_engines = []  # engines currently running, for failure reports


def run_client(argv, env, timeout=CLIENT_TIMEOUT, check=True, input=None):
    """Run a client command with a bounded time.  check=True fails the test unless it
    exits 0; a timeout always fails it.  Returns the CompletedProcess."""
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                           input=input)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(argv)} did not finish within {timeout:.0f}s\n"
                    f"stdout: {_tail(e.stdout)}\nstderr: {_tail(e.stderr)}", pytrace=False)
    if check and p.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {p.returncode}\n"
                    f"stdout: {_tail(p.stdout)}\nstderr: {_tail(p.stderr)}", pytrace=False)
    return p


def _tail(text, chars=3000):
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = text or ""
    return text if len(text) <= chars else "…" + text[-chars:]


class Engine:
    """A daemon process with its own directory; the common start/stop/cleanup."""

    name = "engine"

    def __init__(self, root: Path, log_path: Path):
        self.root = Path(root)
        self.log_path = Path(log_path)
        self.proc = None
        self._log = None

    def _spawn(self, argv, binary):
        if not Path(binary).is_file():
            pytest.fail(f"{binary} is missing: install it with `scripts/deps.sh test`",
                        pytrace=False)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, start_new_session=True)
        live_engines.append(self)

    def _wait_ready(self, ready):
        """Poll ready() until it is true; fail (and clean up) if the daemon exits or
        START_TIMEOUT passes."""
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if self.proc.poll() is not None:
                why = f"exited with status {self.proc.returncode} while starting"
            elif time.monotonic() > deadline:
                why = f"did not become ready within {START_TIMEOUT:.0f}s"
            else:
                time.sleep(0.1)
                continue
            tail = self.log_tail()
            self.stop()
            pytest.fail(f"{self.name} {why} (its log follows)\n{tail}",
                        pytrace=False)

    def stop(self) -> list:
        """SIGTERM, SIGKILL if it lingers, then release the directory.  Returns what went
        wrong: the daemon had died, or ignored SIGTERM."""
        problems = []
        if self.proc is not None:
            if self.proc.poll() is not None:
                problems.append(f"{self.name} had died (exit status {self.proc.returncode})")
            else:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    problems.append(f"{self.name} did not exit within {STOP_TIMEOUT:.0f}s "
                                    "of SIGTERM")
            self.proc = None
        if self in live_engines:
            live_engines.remove(self)
        if self._log:
            self._log.close()
            self._log = None
        return problems

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            text = ""
        tail = [ln[:400] for ln in text.splitlines()[-lines:]]
        return f"--- {self.log_path} (last {len(tail)} lines) ---\n" + "\n".join(tail)


class Containerd(Engine):
    name = "containerd"

    @property
    def address(self) -> str:
        return str(self.root / "containerd.sock")

    def start(self):
        config = self.root / "config.toml"
        config.write_text(f"""version = 2
root = "{self.root / 'root'}"
state = "{self.root / 'state'}"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "{self.address}"
[ttrpc]
  address = "{self.address}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.root / 'opt'}"
""")
        self._spawn([CONTAINERD, "--config", str(config)], CONTAINERD)
        self._wait_ready(self._answers)
        return self

    def _answers(self) -> bool:
        if not _unix_connects(self.address):
            return False
        p = subprocess.run([CTR, "--address", self.address, "version"], capture_output=True,
                           timeout=10)
        return p.returncode == 0


class Dockerd(Engine):
    name = "dockerd"

    @property
    def socket(self) -> str:
        return str(self.root / "docker.sock")

    @property
    def host(self) -> str:
        return "unix://" + self.socket

    def start(self, containerd: Containerd):
        config = self.root / "daemon.json"
        config.write_text("{}")
        self._spawn([
            DOCKERD, "--config-file", str(config),
            "-H", self.host,
            "--containerd", containerd.address,
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"),
            "--storage-driver=vfs", "--iptables=false", "--ip-masq=false", "--bridge=none",
        ], DOCKERD)
        self._wait_ready(self._pings)
        return self

    def _pings(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(self.socket)
                s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                reply = s.recv(4096)
        except OSError:
            return False
        return reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n")[0]


def _unix_connects(path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(path)
        return True
    except OSError:
        return False


def make_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="haven-e2e-", dir="/tmp"))


def release_root(root: Path):
    """After the daemons stopped: kill processes still naming `root` in their command
    line (containerd shims outlive containerd), unmount what is mounted below it (dockerd
    bind-mounts its data-root onto itself), remove it."""
    root = str(root)
    for pid in _pids_mentioning(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    mnt_detach = 2
    for mountpoint in sorted(_mounts_below(root), key=len, reverse=True):
        libc.umount2(mountpoint.encode(), mnt_detach)
    shutil.rmtree(root, ignore_errors=True)


def _pids_mentioning(text) -> list:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


def _mounts_below(root) -> list:
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")  # \040 for spaces
            if point == root or point.startswith(root + "/"):
                out.append(point)
    return out


# ---------------------------------------------------------------- test images


def _tar_member(tar, name, data: bytes, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def busybox_layer() -> bytes:
    """An uncompressed layer tar: /bin/busybox (static) and /tmp."""
    if not Path(BUSYBOX).is_file():
        pytest.fail(f"{BUSYBOX} is missing: install busybox-static (`scripts/deps.sh test`)",
                    pytrace=False)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("bin", "tmp"):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        _tar_member(tar, "bin/busybox", Path(BUSYBOX).read_bytes(), 0o755)
    return raw.getvalue()


def write_docker_archive(path: Path, tag: str, layer: bytes, arch: str) -> str:
    """Write a `docker save`-format tarball of one image; returns its image id (the
    config's digest)."""
    config = json.dumps({
        "architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/busybox", "echo", "hi"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "e2e busybox"}],
    }, sort_keys=True).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": f"{config_hex}.json", "RepoTags": [tag],
                            "Layers": ["layer/layer.tar"]}]).encode()
    with tarfile.open(path, mode="w") as tar:
        _tar_member(tar, f"{config_hex}.json", config)
        _tar_member(tar, "layer/layer.tar", layer)
        _tar_member(tar, "manifest.json", manifest)
    return "sha256:" + config_hex


class TestImages:
    """The archives the engine tests load: `amd64` (runs busybox) and `arm64`."""

    __test__ = False  # not a pytest test class

    def __init__(self, base: Path):
        layer = busybox_layer()
        self.diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
        self.archives, self.ids, self.tags = {}, {}, {}
        for arch in ("amd64", "arm64"):
            self.tags[arch] = f"e2e/busybox:{arch}"
            self.archives[arch] = base / f"busybox-{arch}.tar"
            self.ids[arch] = write_docker_archive(self.archives[arch], self.tags[arch], layer,
                                                  arch)


def client_env(**extra) -> dict:
    """os.environ without the DOCKER_*/CONTAINERD_* settings of whoever runs the tests."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCKER_", "CONTAINERD_"))}
    env.update(extra)
    return env
