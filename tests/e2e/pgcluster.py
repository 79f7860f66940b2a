"""A throwaway PostgreSQL 15 cluster for the scale-out run of the suite (HAVEN_E2E_DB=postgres).

One cluster per pytest session: Debian's initdb and pg_ctl (postgresql-15), run as the
unprivileged `postgres` user when the suite runs as root (PostgreSQL refuses root), in a
temporary directory of its own under /tmp (short, for the unix socket), on a free loopback
port, trust authentication on loopback only, and no fsync (a crash of the machine may lose
the test data; nothing else is at stake).  Every Registry the harness starts gets a database
of its own (`database()`); a restart of the same Registry keeps it.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import havenlib

BIN = Path(os.environ.get("HAVEN_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 60


def _as_postgres() -> list:
    """The command prefix that runs a program as the cluster's owner."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


class Cluster:
    def __init__(self):
        self.dir = None
        self.port = None
        self._seq = 0

    @property
    def data(self) -> Path:
        return self.dir / "data"

    @property
    def log_path(self) -> Path:
        return self.dir / "postgres.log"

    def start(self):
        if not (BIN / "initdb").is_file():
            raise RuntimeError(f"{BIN}/initdb not found: install postgresql (scripts/deps.sh test)")
        self.dir = Path(tempfile.mkdtemp(prefix="haven-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.dir.chmod(0o700)
        run = _as_postgres()
        subprocess.run(run + [str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                              "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True, timeout=START_TIMEOUT)
        self.port = havenlib.free_port()
        options = " ".join([
            f"-p {self.port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=400", "-c shared_buffers=64MB",
        ])
        r = subprocess.run(run + [str(BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                  str(self.log_path), "-o", options, "-w", "-t",
                                  str(START_TIMEOUT), "start"],
                           capture_output=True, timeout=START_TIMEOUT + 10)
        if r.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {r.stderr.decode()}\n{self.log_tail()}")
        return self

    def restart(self):
        """A fast restart: every connection to the cluster is dropped."""
        subprocess.run(_as_postgres() + [str(BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                         str(self.log_path), "-m", "fast", "-w", "-t",
                                         str(START_TIMEOUT), "restart"],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=START_TIMEOUT + 10)

    def stop(self):
        if not self.dir:
            return
        subprocess.run(_as_postgres() + [str(BIN / "pg_ctl"), "-D", str(self.data), "-m",
                                         "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            tail = []
        return "\n".join(tail)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def database(self) -> str:
        """A new, empty database; returns its URL."""
        self._seq += 1
        name = f"haven_{os.getpid()}_{self._seq}"
        conn = self.connect("postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def connect(self, dbname: str):
        import psycopg2  # only the PostgreSQL run needs it
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)


def main(argv) -> int:
    """pgcluster.py COMMAND...: runs COMMAND with a throwaway cluster whose URL is in
    HAVEN_TEST_POSTGRES (the unit tests' second run, on PostgreSQL); returns its status."""
    cluster = Cluster().start()
    try:
        env = dict(os.environ, HAVEN_TEST_POSTGRES=cluster.url("postgres"))
        return subprocess.run(argv, env=env).returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
