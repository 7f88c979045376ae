"""Settings are checked when made: a bad name or version never uses up a release, and the
Python API takes the types a user would pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from archive import PackSettings, UsageError
from archive.cli import main


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--version", "1.0", "version '1.0' is not a semantic version"),
        ("--version", "v2", "version 'v2' is not a semantic version"),
        ("--version", "x", "version 'x' is not a semantic version"),
        # rc.01 would have the precedence of rc.1: two folders, one version
        (
            "--version",
            "1.0.0-rc.01",
            "version '1.0.0-rc.01': a pre-release identifier is empty or a number with a "
            "leading zero",
        ),
        (
            "--version",
            "1.0.0-rc..1",
            "version '1.0.0-rc..1': a pre-release identifier is empty or a number with a "
            "leading zero",
        ),
        ("--name", "../escaped", "name '../escaped' is not a release name"),
        ("--name", "/abs/olute", "name '/abs/olute' is not a release name"),
        ("--name", ".", "name '.' is not a release name"),
        ("--name", "..", "name '..' is not a release name"),
        ("--name", "-x", "name '-x' is not a release name"),
        ("--name", "x y", "name 'x y' is not a release name"),
    ],
)
def test_a_bad_name_or_version_is_refused_before_anything_is_written(
    corpus, tmp_path, option, value, message
):
    args = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    args += [f"{option}={value}", "--created", "2026-01-01T00:00:00Z", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"archive: error: {message} (")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "dist").exists()
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "dist" / "..").exists()


def test_a_bad_name_in_archive_toml_is_refused(corpus, tmp_path):
    config = tmp_path / "archive.toml"
    config.write_text('[collection]\nname = "../escaped"\n', encoding="utf-8")
    args = ["pack", str(corpus), "--config", str(config), "--out", str(tmp_path / "dist")]
    result = CliRunner().invoke(main, [*args, "--version", "1.0.0", "-q"])
    assert result.exit_code == 2 and "name '../escaped' is not a release name" in result.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "dist").exists()


def test_the_api_takes_rfc3339_strings_datetimes_and_dicts():
    settings = PackSettings(
        name="news",
        version="1.2.3-rc.1+build.5",
        created="2026-01-01T05:30:00+05:30",
        domain_outlets={"harbour.example": "Harbour Courier"},
        withdrawals={"0" * 32: "takedown"},
    )
    assert settings.created == datetime(2026, 1, 1, tzinfo=UTC)
    assert settings.domain_outlets == (("harbour.example", "Harbour Courier"),)
    assert settings.withdrawals == (("0" * 32, "takedown"),)
    assert settings.output_settings()["domain_outlets"] == {"harbour.example": "Harbour Courier"}
    aware = datetime(2026, 1, 1, 12, 0, 0, 999, tzinfo=timezone(timedelta(hours=-5)))
    assert PackSettings(name="n", version="1.0.0", created=aware).created == datetime(
        2026, 1, 1, 17, tzinfo=UTC
    )
    assert hash(settings)  # frozen and hashable, as before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"created": "yesterday"}, "created 'yesterday' is not an RFC 3339 time"),
        ({"created": datetime(2026, 1, 1)}, "created must be an RFC 3339 time with a zone"),
        ({"created": "2026-01-01T00:00:00"}, "is not an RFC 3339 time with a zone"),
        ({"domain_outlets": 5}, "domain_outlets must be a mapping or (key, value) pairs"),
        ({"extract": "everything"}, "extract must be one of article, none"),
        ({"tier": "dry"}, "tier must be one of full, metadata-only"),
    ],
)
def test_the_api_refuses_wrong_values_with_the_field_named(changes, message):
    values = {"name": "news", "version": "1.0.0", "created": "2026-01-01T00:00:00Z"} | changes
    with pytest.raises(UsageError) as raised:
        PackSettings(**values)
    assert message in str(raised.value)


@pytest.mark.parametrize("changes", [{"name": "news\n"}, {"version": "1.0.0\n"}])
def test_a_trailing_newline_is_no_part_of_a_name_or_version(changes):
    values = {"name": "news", "version": "1.0.0", "created": "2026-01-01T00:00:00Z"} | changes
    with pytest.raises(UsageError):
        PackSettings(**values)
