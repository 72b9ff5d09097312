"""The live view's rolling HLS playlist of one stream: fMP4 segments, copied packets.

Files, under live_path/{camera_id}/{main|sub}/: index.m3u8 (six segments, rewritten
through a temporary file after each one, never an ENDLIST), init_{stamp}.mp4 and
seg_{stamp}_{n}.m4s, where stamp is the UTC second the session began, so a reconnect
never reuses a name a player still holds. Segments last live_segment_seconds, cut at the
next keyframe; the muxer deletes those that left the playlist.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Final

import av
from av.stream import Stream

from nigrani.stations.recorder.muxing import CopyMuxer

PLAYLIST: Final = "index.m3u8"
LIST_SIZE: Final = 6
FLAGS: Final = "delete_segments+program_date_time+independent_segments+omit_endlist+discont_start"


def live_dir(live_path: Path, camera_id: int, stream: str) -> Path:
    """live_path/{camera_id}/{stream}."""
    return live_path / str(camera_id) / stream


def clear(folder: Path) -> None:
    """Remove a previous session's files (a player then reloads the playlist)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)


class LiveWriter(CopyMuxer):
    """Writes one session's packets to the rolling playlist, timestamps from its clock."""

    def __init__(self, folder: Path, inputs: list[Stream], *, segment_seconds: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        clear(folder)
        stamp = int(time.time())
        options = {
            "hls_time": f"{segment_seconds:g}",
            "hls_list_size": str(LIST_SIZE),
            "hls_segment_type": "fmp4",
            "hls_flags": FLAGS,
            "hls_fmp4_init_filename": f"init_{stamp}.mp4",
            "hls_segment_filename": str(folder / f"seg_{stamp}_%d.m4s"),
            "hls_start_number_source": "epoch",
        }
        container = av.open(str(folder / PLAYLIST), mode="w", format="hls", options=options)
        super().__init__(container, inputs)
