"""A small Streamlit client speaking the app's websocket protocol, without a browser.

It opens a session on ``/_stcore/stream``, asks for a run with given widget values (as
the browser's frontend does: a BackMsg ``rerun_script`` with the widget states and the
hashes of the messages it has cached), and reads ForwardMsgs until ``script_finished``.
The load benchmark (benchmarks/bench_load.py) and the deployment test use it; it only
reads what it needs: widget ids by key, text shown, exceptions, how long a run took.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates


@dataclass
class RunResult:
    """One script run as the client saw it."""

    seconds: float
    status: str = ""
    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY") and not self.exceptions


def _widget_state(widget_id: str, kind: str, value: Any) -> WidgetState:
    state = WidgetState(id=widget_id)
    if kind == "button":
        state.trigger_value = bool(value)
    elif isinstance(value, (list, tuple)):  # multiselect; date_input as ISO dates ([] for none)
        state.string_array_value.data.extend(str(v) for v in value)
    elif isinstance(value, bool):
        state.bool_value = value
    elif isinstance(value, (int, float)):
        state.double_value = float(value)
    else:
        state.string_value = str(value)
    return state


class StreamlitSession:
    """One browser-less session. ``async with StreamlitSession(url) as s: await s.run()``."""

    def __init__(self, base_url: str, query: str = "", headers: Mapping[str, str] | None = None,
                 timeout: float = 120.0):
        self.url = base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + "/_stcore/stream"
        self.query = query
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.widgets: dict[str, tuple[str, str]] = {}  # user key -> (widget id, kind)
        self.values: dict[str, Any] = {}  # user key -> value the client holds
        self._cached: set[str] = set()
        self._socket: Any = None

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        self._socket = await connect(self.url, subprotocols=["streamlit"], additional_headers=self.headers,
                                     max_size=None, open_timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._socket.close()

    def _states(self, triggers: Iterable[str]) -> WidgetStates:
        states = WidgetStates()
        for key, value in self.values.items():
            if key in self.widgets:
                widget_id, kind = self.widgets[key]
                states.widgets.append(_widget_state(widget_id, kind, value))
        for key in triggers:
            widget_id, kind = self.widgets[key]
            states.widgets.append(_widget_state(widget_id, kind, True))
        return states

    async def run(self, values: Mapping[str, Any] | None = None, click: Iterable[str] = ()) -> RunResult:
        """Ask for a run with these widget values (by key; kept for later runs) and buttons
        clicked, and wait for it to finish."""
        import asyncio

        self.values.update(values or {})
        message = BackMsg(rerun_script=ClientState(
            query_string=self.query, widget_states=self._states(click), page_script_hash="",
            cached_message_hashes=sorted(self._cached)))
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        result = RunResult(seconds=0.0)
        async with asyncio.timeout(self.timeout):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await self._socket.recv())
                if msg.metadata.cacheable and msg.hash:
                    self._cached.add(msg.hash)
                kind = msg.WhichOneof("type")
                if kind == "delta":
                    self._read_delta(msg, result)
                elif kind == "script_finished":
                    status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                    if status == "FINISHED_EARLY_FOR_RERUN":
                        continue  # the app asked for another run (st.rerun): keep reading
                    result.status = status
                    break
        result.seconds = time.perf_counter() - start
        return result

    def _remember(self, widget_id: str, kind: str) -> None:
        if widget_id.startswith("$$ID-"):
            key = widget_id.split("-", 2)[2]
            if key and key != "None":
                self.widgets[key] = (widget_id, kind)

    def _read_delta(self, msg: ForwardMsg, result: RunResult) -> None:
        delta = msg.delta.WhichOneof("type")
        if delta == "add_block" and msg.delta.add_block.WhichOneof("type") == "tab_container":
            self._remember(msg.delta.add_block.tab_container.id, "tab_container")  # stateful tabs
        if delta != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        self._remember(getattr(proto, "id", "") or "", kind)
        if kind == "exception":
            result.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind in ("text", "markdown", "alert"):
            result.texts.append(getattr(proto, "body", ""))
