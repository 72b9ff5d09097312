"""The test media come from one place, and a missing file fails the run instead of
silently skipping the tests that need it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MEDIA, required_media


def test_the_media_folder_is_beside_the_checkout(shared_media: Path, vtest: Path) -> None:
    assert shared_media == MEDIA == Path(__file__).resolve().parents[2] / "shared" / "data"
    assert vtest.stat().st_size > 1_000_000


def test_a_missing_file_fails_naming_the_expected_path(tmp_path: Path) -> None:
    missing = tmp_path / "vtest.avi"
    with pytest.raises(pytest.fail.Exception) as failed:
        required_media(missing)
    assert not isinstance(failed.value, pytest.skip.Exception)
    assert str(missing) in str(failed.value) and str(MEDIA) in str(failed.value)
