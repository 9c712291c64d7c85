"""Run the action server (`python -m bot.action_server`, the arguments of `python -m rasa_sdk`).

One change to rasa-sdk: with several Sanic workers (ACTION_SERVER_SANIC_WORKERS, the production
profile), the main process only forks the workers, which share its listening socket. If the
main process is killed (`kill -9`, the out-of-memory killer), Sanic's workers would live on
as orphans holding the port, so the supervisor's fresh start could not bind it and would give
up. Here each worker asks the kernel to stop it when its parent dies (PR_SET_PDEATHSIG), so a
crash of the action server takes its workers along and the supervisor starts it again cleanly.
"""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Any

import rasa_sdk.endpoint
from rasa_sdk.__main__ import main as rasa_sdk_main

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel send SIGKILL to this process when its parent exits (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _create_app(*args: Any, **kwargs: Any) -> Any:
    app = _original_create_app(*args, **kwargs)
    main_process = os.getpid()

    async def worker_dies_with_main_process(_app: Any, _loop: Any) -> None:
        if os.getpid() != main_process:  # a forked worker, not the main process serving alone
            die_with_parent(main_process)

    app.register_listener(worker_dies_with_main_process, "before_server_start")
    return app


_original_create_app = rasa_sdk.endpoint.create_app


def main() -> None:
    """Start rasa-sdk's command line with workers that stop with the main process."""
    rasa_sdk.endpoint.create_app = _create_app
    rasa_sdk_main()


if __name__ == "__main__":
    main()
