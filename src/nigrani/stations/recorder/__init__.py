"""The station recorder (`nigrani recorder`): cameras' packets to disk and to the live view.

Output contract (what playback, retention, clip export and compliance read):

On disk, recordings_path/{camera_id}/{YYYY}/{MM}/{DD}/{HHMMSS}_{epoch_ms}.ts (UTC date and
time of the segment's start, epoch_ms the same instant in milliseconds):
  - MPEG-TS, the camera's H.264/H.265 video and its first audio stream (AAC from the
    cameras we know) copied packet for packet, never re-encoded;
  - each file starts on a video keyframe, its timestamps rebased to start at that keyframe
    (container.start_time is the start_at of its row); about recording_segment_seconds
    long, cut at the first keyframe after that (a camera without keyframes is cut at three
    times that length);
  - a file exists complete and fsync'd before its row is written; a file without a row is
    at most the last one of a recorder that died (losing what it had not yet written
    out, up to 256 KiB), indexed (or deleted if empty or unreadable) by the next
    recorder that takes the camera.

In the database, one transaction per write:
  - RecordingSegment per file: start_at, end_at (UTC; the wall clock when the session's
    first packet arrived plus the packets' own timestamps), duration_s = end_at - start_at,
    path relative to recordings_path, bytes, video_codec, audio_codec (None without
    audio), width, height. Segments of one session are contiguous: each start_at is the
    previous end_at.
  - RecordingGap while the camera is not recorded: start_at = end of the last recorded
    packet (or the time of the failure if nothing was recorded yet), end_at = start_at of
    the next segment, NULL while ongoing; reason = the error ("recorder stopped" on a
    clean shutdown, "recorder stopped or lost" when a recorder found the camera's time
    since its last segment unaccounted for). At most one gap per camera is open.
  - StationCamera.last_segment_at = end_at of its newest segment; last_error = why it is
    not recorded now, "" while it is; leased_by / lease_until = the recorder holding it.

Live view, live_path/{camera_id}/main/ and, for a camera with a sub-stream,
live_path/{camera_id}/sub/: index.m3u8 (HLS, fMP4 segments of live_segment_seconds, six
in the list, EXT-X-PROGRAM-DATE-TIME on each, no ENDLIST), init_{stamp}.mp4 and
seg_{stamp}_{n}.m4s. The playlist is rewritten after every segment: an mtime older than a
few segments means the feed stopped.
"""
