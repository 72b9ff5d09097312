"""Opening a live RTSP camera with PyAV: one set of options for every reader.

The recorder, the live view and the simulator's tests all open cameras here, so a change
of option (measured in docs/decisions.md) reaches every reader at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import av
from av.container import InputContainer

Transport = Literal["tcp", "udp"]

# Small probe, no analysis delay: the SDP already names the codecs and the H.264
# parameter sets, so the first packets need not be buffered to learn them.
READER_OPTIONS: Final[Mapping[str, str]] = {
    "fflags": "nobuffer",
    "analyzeduration": "0",
    "probesize": "32768",
}
DEFAULT_TIMEOUT_S: Final = 5.0


def reader_options(
    *, transport: Transport = "tcp", timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, str]:
    """FFmpeg options for one RTSP reader (socket timeout in microseconds)."""
    return {
        **READER_OPTIONS,
        "rtsp_transport": transport,
        "timeout": str(int(timeout_s * 1_000_000)),
    }


def open_stream(
    url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, transport: Transport = "tcp"
) -> InputContainer:
    """Open an RTSP URL for demuxing; raises av.FFmpegError when it cannot be read in time.

    Real cameras are read over TCP (no loss on a busy network); the development simulator
    serves UDP only, so its cameras say `transport="udp"`.
    """
    return av.open(
        url,
        mode="r",
        options=reader_options(transport=transport, timeout_s=timeout_s),
        timeout=timeout_s,
    )
