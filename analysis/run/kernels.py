"""Kernels for the report pages: one per worker thread, reused page after page.

A kernel costs about a second to start and its first page about three more to import
pandas, matplotlib, seaborn, statsmodels and the kit. A report's six pages share what
they import, so each worker thread of `run_report` starts one kernel and runs its pages
in it one after the other. Between two pages the kernel is reset to a new session
(`InteractiveShell.reset`: the user namespace emptied, ``In[1]`` again, every warning
shown again), so a page sees nothing another page defined; the imported modules stay,
which is the saving. A kernel that died (or could not be reset) is replaced by a new
one for the next page.

Each kernel talks over IPC sockets in its own folder: no network port is opened, and
kernels started at once pick their socket names without seeing each other's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["PageKernel"]

#: Run in the kernel between two pages (``warnings._filters_mutated`` makes every
#: module's record of warnings already shown stale, as in a new process).
RESET = """\
get_ipython().reset(new_session=True)
import warnings as _w
getattr(_w, "_filters_mutated", lambda: None)()
del _w
"""


def _kernel_manager_class(folder: str, env: dict[str, str] | None = None) -> type:
    """An async kernel manager on IPC sockets in ``folder`` that remembers the clients
    made for it (papermill makes one per page and leaves it open), and starts its
    kernels with ``env`` added to this process's environment."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    extra = dict(env or {})

    def client(self, **kwargs):
        kc = AsyncKernelManager.client(self, **kwargs)
        self.leadkit_clients.append(kc)
        return kc

    async def pre_start(self, **kw):
        # the warm-up's start and papermill's both pass here
        kw["env"] = {**kw.get("env", os.environ), **extra}
        return await AsyncKernelManager._async_pre_start_kernel(self, **kw)

    return type(
        "LeadkitKernelManager",
        (AsyncKernelManager,),
        {
            "transport": Unicode("ipc"),
            "ip": Unicode(os.path.join(folder, "kernel")),
            "client": client,
            "_async_pre_start_kernel": pre_start,
        },
    )


class PageKernel:
    """One worker thread's kernel (made, used and closed in that thread: the kernel
    manager lives on the thread's event loop).

    Parameters
    ----------
    folder : path
        A private folder for the kernel's sockets.
    kernel_name : str
    reuse : bool
        Run every page in one kernel (reset in between); False starts a new kernel
        for every page.
    env : dict, optional
        Environment variables the kernels get besides this process's.
    """

    def __init__(
        self,
        folder: str | Path,
        kernel_name: str,
        reuse: bool = True,
        env: dict[str, str] | None = None,
    ):
        os.makedirs(folder, exist_ok=True)
        self._cls = _kernel_manager_class(str(folder), env)
        self.kernel_name = kernel_name
        self.reuse = reuse
        self.km: Any = None  # a LeadkitKernelManager while a kernel is kept
        self.pages = 0

    def warm(self, code: str, cwd: str | Path) -> bool:
        """Start the kernel now, in folder ``cwd``, and run ``code`` in it (the pages'
        imports), so the first page finds them done: `run_report` warms its workers'
        kernels while the data load. False (and no kernel kept) if the kernel would
        not start or the code failed: the first page then starts a kernel of its own
        and shows the error where it happens."""
        from jupyter_core.utils import run_sync

        try:
            return run_sync(self._warm)(code, str(cwd))
        except Exception:  # noqa: BLE001 - the page starts its own kernel and says why
            run_sync(self._shutdown)()
            return False

    async def _warm(self, code: str, cwd: str) -> bool:
        self.km = self._cls(kernel_name=self.kernel_name)
        self.km.leadkit_clients = []
        await self.km.start_kernel(cwd=cwd)
        kc = self.km.client()
        try:
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(
                code, store_history=False, timeout=300, output_hook=lambda msg: None
            )
            ok = reply["content"]["status"] == "ok"
        finally:
            await self._close_clients()
        if not ok:
            await self._shutdown()
        return ok

    def manager(self):
        """The kernel manager for the next page (papermill's ``km=``): the kernel the
        last page ran in, reset, or a new one that the page starts."""
        from jupyter_core.utils import run_sync

        if self.km is not None and (not self.reuse or not run_sync(self._reset)()):
            run_sync(self._shutdown)()
        if self.km is None:
            self.km = self._cls(kernel_name=self.kernel_name)
            self.km.leadkit_clients = []
        self.pages += 1
        return self.km

    async def _reset(self) -> bool:
        """Reset the kernel for a new page; False if it is dead or would not reset."""
        km = self.km
        await self._close_clients()
        if not km.has_kernel or not await km.is_alive():
            return False
        kc = km.client()
        try:
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(
                RESET, store_history=False, timeout=60, output_hook=lambda msg: None
            )
            return reply["content"]["status"] == "ok"
        except Exception:  # noqa: BLE001 - a kernel that cannot be reset is replaced
            return False
        finally:
            await self._close_clients()

    async def _close_clients(self) -> None:
        clients, self.km.leadkit_clients = self.km.leadkit_clients, []
        for kc in clients:
            if kc.channels_running:
                kc.stop_channels()

    async def _shutdown(self) -> None:
        if self.km is None:
            return
        await self._close_clients()
        if self.km.has_kernel:
            await self.km.shutdown_kernel(now=True)
        self.km = None

    def close(self) -> None:
        """Shut the kernel down and close the thread's event loop (jupyter_core keeps
        one per thread) with its sockets."""
        from jupyter_core.utils import ensure_event_loop

        loop = ensure_event_loop()
        try:
            loop.run_until_complete(self._shutdown())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
