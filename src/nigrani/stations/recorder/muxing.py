"""Copying packets into an output container: the one muxing loop of segments and live view."""

from __future__ import annotations

from fractions import Fraction

from av.container import OutputContainer
from av.packet import Packet
from av.stream import Stream

DEFAULT_TIME_BASE = Fraction(1, 90000)


class CopyMuxer:
    """An output fed with the inputs' packets unchanged but for their timestamps: session
    seconds less `base`, in each input stream's own time base."""

    def __init__(
        self, container: OutputContainer, inputs: list[Stream], *, base: float = 0.0
    ) -> None:
        self.container, self.base = container, base
        self._out: dict[int, tuple[Stream, Fraction, float]] = {}
        for stream in inputs:
            time_base = stream.time_base or DEFAULT_TIME_BASE
            out = container.add_stream_from_template(stream)
            self._out[stream.index] = (out, time_base, float(1 / time_base))

    def write(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        """Mux one packet at session time t (decode order), cts seconds to presentation."""
        out, time_base, rate = self._out[index]
        dts = round((t - self.base) * rate)
        packet.dts, packet.pts = dts, dts + round(cts * rate)
        packet.time_base = time_base
        packet.stream = out
        self.container.mux(packet)

    def close(self) -> None:
        """Write the trailer and close the output."""
        self.container.close()
