"""Whether a local TCP port is taken, and by which process.

A port counts as taken only when something listens on it: connections left in TIME_WAIT by a
process that just died (after a crash or a `kill -9`) do not stop a server from binding it with
SO_REUSEADDR, which every server of the assistant sets, so they do not count here either.

The owner of a listening socket is read from Linux's /proc: /proc/net/tcp and tcp6 give the
socket's inode, /proc/<pid>/fd links name the process holding it. Processes of other users
are visible only to root; then the owner is unknown and only the port is reported.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TCP_LISTEN_STATE = "0A"  # include/net/tcp_states.h: TCP_LISTEN


@dataclass(frozen=True)
class PortHolder:
    """A process that listens on a port: its id and command line."""

    pid: int
    command: str


def port_is_free(host: str, port: int) -> bool:
    """Tell whether a server could bind ``host``:``port`` now (TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _listening_inodes(port: int, proc: Path) -> set[str]:
    """Return the inodes of the TCP sockets (IPv4 and IPv6) listening on ``port``."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != TCP_LISTEN_STATE:
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[9] != "0":
                inodes.add(fields[9])
    return inodes


def _socket_holders(inodes: set[str], proc: Path) -> Iterator[int]:
    """Yield the ids of the processes with one of the sockets ``inodes`` open."""
    links = {f"socket:[{inode}]" for inode in inodes}
    for process in proc.iterdir():
        if not process.name.isdigit():
            continue
        try:
            descriptors = list((process / "fd").iterdir())
        except OSError:  # gone, or another user's process
            continue
        for descriptor in descriptors:
            try:
                if str(descriptor.readlink()) in links:
                    yield int(process.name)
                    break
            except OSError:
                continue


def _command_line(pid: int, proc: Path) -> str:
    """Return a process's command line, or its name in brackets when it has none."""
    try:
        arguments = (proc / str(pid) / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        command = " ".join(argument.decode("utf-8", "replace") for argument in arguments if argument)
        return command or f"[{(proc / str(pid) / 'comm').read_text().strip()}]"
    except OSError:
        return "(exited)"


def port_holders(port: int, proc: Path = PROC) -> list[PortHolder]:
    """Return the processes listening on TCP ``port``, empty when none can be seen."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return []
    return [PortHolder(pid, _command_line(pid, proc)) for pid in sorted(set(_socket_holders(inodes, proc)))]


def describe_busy_port(host: str, port: int) -> str:
    """Return one line for the operator: the port is taken, by whom, and what to do."""
    holders = port_holders(port)
    if holders:
        by = "; ".join(f"pid {holder.pid}: {holder.command}" for holder in holders)
        return f"Port {port} on {host} is in use by {by}. Stop that process (kill {holders[0].pid}), then try again."
    return (
        f"Port {port} on {host} is in use by a process this user cannot see (is the assistant already "
        "running?). Stop that process or free the port, then try again."
    )
