"""`archive report` (a static HTML report beside the release) and `archive inspect RELEASE`
(the summary), on the example corpus. Expected figures are counted here from the Parquet rows
with plain Python, never by archive/summary.py.

The browser test opens the report from file:// in the system's Chromium (installed by
.ci/run) through Playwright, and is skipped only when no Chromium is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import pack_example, vouch_for
from hypothesis import given
from hypothesis import strategies as st

from archive.cli import main
from archive.format.manifest import canonical_json, write_manifest
from archive.report.pages import marked_ranges, marked_spans
from archive.verification import validate

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
DATE_FLAGS = ("date-", "published-date-", "capture-log-date-")


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return pack_example(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def report(release) -> Path:
    result = CliRunner().invoke(main, ["report", str(release)])
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written == release.with_name("example-1.0.0-report")
    return written


@pytest.fixture(scope="module")
def rows(release) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_report_is_the_same_bytes_for_the_same_release(release, report, tmp_path):
    copy = tmp_path / "elsewhere" / "example-1.0.0"
    shutil.copytree(release, copy)
    again = CliRunner().invoke(main, ["report", str(copy), "--out", str(tmp_path / "r2")])
    assert again.exit_code == 0, again.output
    assert digests(tmp_path / "r2") == digests(report)


def test_the_report_leaves_the_release_intact_and_never_goes_inside_it(release, report):
    verified = CliRunner().invoke(main, ["verify", str(release)])
    assert verified.exit_code == 0, verified.output
    inside = CliRunner().invoke(main, ["report", str(release), "--out", str(release / "r")])
    assert inside.exit_code == 2 and "inside the release" in inside.output
    assert not (release / "r").exists()


def test_an_existing_folder_is_replaced_only_with_force_and_only_when_a_report(
    release, report, tmp_path
):
    again = CliRunner().invoke(main, ["report", str(release)])
    assert again.exit_code == 2 and "--force" in again.output
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused = CliRunner().invoke(main, ["report", str(release), "--out", str(other), "--force"])
    assert refused.exit_code == 2 and "not a report" in refused.output
    assert (other / "keep.txt").read_text() == "mine"
    forced = CliRunner().invoke(main, ["report", str(release), "--force"])
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize("damage", ["deep-signature", "deep-quarantine-line", "unlisted-file"])
def test_a_damaged_release_gets_a_report_listing_the_problems(release, tmp_path, damage):
    copy = tmp_path / "example-1.0.0"
    shutil.copytree(release, copy)
    deep = "[" * 100_000 + "]" * 100_000
    if damage == "deep-signature":
        (copy / "manifest.json.sig.json").write_text(deep)
    elif damage == "deep-quarantine-line":
        with (copy / "quarantine.jsonl").open("a") as handle:
            handle.write(deep + "\n")
    else:
        (copy / "data" / "extra.txt").write_text("not listed")
    result = CliRunner().invoke(main, ["report", str(copy), "--json"])
    assert result.exit_code == 1, result.output
    assert "the report lists them" in result.stderr and "Traceback" not in result.output
    written = json.loads(result.stdout)
    assert written["problems"] >= 1
    html = (Path(written["path"]) / "index.html").read_text(encoding="utf-8")
    assert "PROBLEMS FOUND" in html


def test_an_unreadable_shard_stops_the_report_in_one_line(release, tmp_path):
    copy = tmp_path / "example-1.0.0"
    shutil.copytree(release, copy)
    shard = next((copy / "data").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-1] + b"X")
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {shard}: unreadable") and "archive verify" in line
    assert not (tmp_path / "example-1.0.0-report").exists()


def test_a_folder_that_is_not_a_release_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("not a release\n")
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"archive: error: {tmp_path} is not a release: no manifest.json"
    ]


def test_every_page_is_self_contained(report):
    pages = sorted(report.rglob("*.html"))
    assert len(pages) > 15
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), path
        assert "<link " not in html and "@import" not in html and "url(" not in html, path
        assert "default-src 'none'" in html, path


def test_charts_draw_one_bar_per_outlet_and_month_with_the_counts(report, rows):
    page = (report / "index.html").read_text(encoding="utf-8")
    outlets = Counter(r["outlet"] for r in rows if r["outlet"])
    months = Counter(r["published_date"].strftime("%Y-%m") for r in rows if r["published_date"])
    assert {label: n for label, n, _ in bars(page, "chart-outlets", "width")} == dict(outlets)
    assert {label: n for label, n, _ in bars(page, "chart-months", "height")} == dict(months)
    for chart, length in (("chart-outlets", "width"), ("chart-months", "height")):
        drawn = bars(page, chart, length)
        # Each bar is drawn as long as its count says: one scale for the whole chart.
        scale = max(size for _, _, size in drawn) / max(n for _, n, _ in drawn)
        assert all(abs(size - n * scale) < 0.01 * size for _, n, size in drawn), drawn


def bars(page: str, chart: str, length: str) -> list[tuple[str, int, float]]:
    """(label, count, drawn length) of each ``rect.bar`` in the chart's SVG."""
    block = page.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
    found = []
    for rect in re.findall(r"<rect [^>]*>", block):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', rect))
        if attributes.get("class") == "bar":
            label = html.unescape(attributes["data-label"])
            found.append((label, int(attributes["data-count"]), float(attributes[length])))
    return found


CHART_SCRIPT = """
from archive.report.charts import horizontal_bars, vertical_bars
from archive.summary import Count
outlets = [Count(f"Outlet {i} <&> 'x'", 1000 - 70 * i) for i in range(12)]
months = [Count(f"{2016 + i // 12}-{i % 12 + 1:02d}", 50 + (i * 37) % 400) for i in range(120)]
print(horizontal_bars(outlets, "records per outlet") + vertical_bars(months, "records per month"))
"""


def test_charts_are_the_same_bytes_in_another_process_on_another_day(monkeypatch):
    import datetime
    import subprocess
    import sys

    import pygal.svg

    drawn = [
        subprocess.run(
            [sys.executable, "-c", CHART_SCRIPT],
            capture_output=True, check=True, text=True, cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    ]  # fmt: skip
    assert drawn[0] == drawn[1]
    # pygal dates a comment in each chart with today: another day must give the same bytes.
    today = pygal.svg.date.today()

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls):
            return today + datetime.timedelta(days=1)

    monkeypatch.setattr(pygal.svg, "date", Tomorrow)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(CHART_SCRIPT, namespace)
    assert printed.getvalue() == drawn[0]
    assert len(re.findall(r'<rect [^>]*class="bar"', drawn[0])) == 12 + 120
    assert "<script" not in drawn[0] and "<!--" not in drawn[0] and "href" not in drawn[0]


def test_unknown_dates_are_counted_by_flag_and_explained_in_words(report, rows):
    html = (report / "index.html").read_text(encoding="utf-8")
    schema = json.loads((ROOT / "schemas" / "record.schema.json").read_text(encoding="utf-8"))
    words = schema["properties"]["flags"]["items"]["x-descriptions"]
    undated = [r for r in rows if r["published_date"] is None]
    # A flag that keeps the day (only the time is dropped) never explains a null date.
    why = {f for f in words if f.startswith(DATE_FLAGS) and "day kept" not in words[f]}
    reasons = Counter(f for r in undated for f in r["flags"] if f in why)
    assert reasons
    section = html.split("<code>published_at</code> unknown:", 1)[1].split("<h4>", 1)[0]
    assert section.startswith(f" {len(undated)} ")
    for flag, count in reasons.items():
        assert f'<td>{flag}</td><td class="n">{count}</td>' in section
        assert words[flag].replace("'", "&#x27;") in section


def test_the_record_table_holds_every_record_and_pages_exist(report, rows):
    html = (report / "records.html").read_text(encoding="utf-8")
    data = json.loads(html.split('id="records-data">', 1)[1].split("</script>", 1)[0])
    assert sorted(r[0] for r in data) == sorted(r["record_id"] for r in rows)
    assert "All 15 records" in html
    for row in rows:
        assert (report / "records" / f"{row['record_id']}.html").is_file()


def test_a_relation_page_marks_the_same_passage_in_both_bodies(report, release):
    relations = pq.read_table(release / "relations" / "relations.parquet").to_pylist()
    near = next(r for r in relations if r["kind"] == "near-duplicate")
    page = next((report / "relations").glob("near-duplicate-*.html")).read_text(encoding="utf-8")
    assert near["source_id"] in page and near["target_id"] in page
    source, target = shared_marks(page, "source-body"), shared_marks(page, "target-body")
    passages = json.loads(near["evidence"])["passages"]
    assert len(source) == len(target) == len(passages)
    assert source == target


def swaps_listed(report: Path) -> list[str]:
    """The swaps column of the aligned-sentence table of the report's paraphrase page."""
    page = next((report / "relations").glob("paraphrase-of-*.html")).read_text(encoding="utf-8")
    listing = page.split("<h2>Aligned sentences</h2>", 1)[1].split("</table>", 1)[0]
    rows = listing.split("<tbody>", 1)[1].split("<tr>")[1:]
    return [html.unescape(re.findall(r"<td[^>]*>(.*?)</td>", row)[-1]) for row in rows]


def test_substitutions_naming_fewer_than_two_words_are_listed_not_a_crash(release, tmp_path):
    """The schema lets a sentence pair's substitution name fewer than two words; such a table
    passes validate, so the report lists it (it crashed: IndexError, then ValueError)."""
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    relative = "relations/relations.parquet"
    table = pq.read_table(copy / relative)
    evidence = table["evidence"].to_pylist()
    at = table["kind"].to_pylist().index("paraphrase-of")
    shaped = json.loads(evidence[at])
    shaped["sentence_pairs"][0]["substitutions"] = [["ǂone"], []]
    evidence[at] = canonical_json(shaped).decode()
    table = table.set_column(
        table.schema.get_field_index("evidence"), "evidence", pa.array(evidence)
    )
    pq.write_table(table, copy / relative)
    vouch_for(copy, relative)
    assert validate(copy / relative).ok
    result = CliRunner().invoke(main, ["report", str(copy), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert swaps_listed(tmp_path / "r")[0] == "ǂone → —; — → —"


def test_withheld_substitutions_are_listed_as_withheld(tmp_path):
    dehydrated = pack_example(tmp_path / "dist", "--tier", "metadata-only")
    result = CliRunner().invoke(main, ["report", str(dehydrated), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    listed = swaps_listed(tmp_path / "r")
    assert listed and all(
        set(swaps.split("; ")) == {"(withheld) → (withheld)"} for swaps in listed if swaps
    )


def shared_marks(page: str, body: str) -> list[str]:
    block = page.split(f'id="{body}"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<mark class="shared"[^>]*>(.*?)</mark>', block, re.S)


def test_a_new_version_shows_what_changed_and_its_history(release, tmp_path):
    captures = tmp_path / "next" / "captures"
    shutil.copytree(ROOT / "examples" / "captures", captures)
    shutil.copy(ROOT / "examples" / "next" / "ferry-timetable.txt", captures / "quillwire")
    args = [
        "pack", str(captures), "--capture-log", str(ROOT / "examples" / "next" / "captures.jsonl"),
        "--outlets", str(ROOT / "examples" / "outlets.toml"), "--out", str(release.parent),
        "--name", "example", "--version", "1.1.0", "--created", "2026-02-01T00:00:00Z", "-q",
    ]  # fmt: skip
    packed = CliRunner().invoke(main, args)
    assert packed.exit_code == 0, packed.output
    newer = Path(packed.stdout.strip())
    changes = json.loads((newer / "CHANGES.json").read_bytes())
    out = tmp_path / "report"
    assert CliRunner().invoke(main, ["report", str(newer), "--out", str(out)]).exit_code == 0
    versions = (out / "index.html").read_text(encoding="utf-8").split('id="versions"')[1]
    versions = versions.split("</section>")[0]
    for record_id in changes["added"] + changes["changed"]:
        assert record_id in versions
    assert f"implied bump <b>{changes['bump']['implied']}</b>" in versions
    assert "example 1.0.0" in versions and "example 1.1.0" in versions
    shutil.rmtree(newer)


@given(
    text=st.text(alphabet="ab<&\n é", max_size=40),
    cuts=st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), max_size=6),
)
def test_marking_spans_keeps_every_character_of_the_text(text, cuts):
    spans = [{"start": a, "end": b, "kind": "body", "rule": "r"} for a, b in cuts]
    ranges = [(a, b, "shared", "x", ("a",)) for a, b in cuts]
    for marked in (marked_spans(text, spans), marked_ranges(text, ranges)):
        assert html.unescape(re.sub(r"<[^>]+>", "", marked)) == text


def test_inspect_without_an_id_prints_overview_and_coverage(release, rows):
    shown = CliRunner().invoke(main, ["inspect", str(release)])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "example 1.0.0" in text
    assert "inputs: 16 inputs = 15 records + 1 quarantined + 0 withdrawn (checked)" in text
    dates = sorted(r["published_date"] for r in rows if r["published_date"])
    assert f"dates: {dates[0].isoformat()} to {dates[-1].isoformat()}" in text
    outlets = Counter(r["outlet"] for r in rows if r["outlet"])
    for outlet, count in outlets.items():
        assert f"{outlet} {count}" in text
    assert "date-not-in-header" in text and "Dates appear in the capture" in text


def test_inspect_json_gives_the_same_figures(release, rows):
    shown = CliRunner().invoke(main, ["inspect", str(release), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    outlets = Counter(r["outlet"] for r in rows if r["outlet"])
    assert {c["value"]: c["count"] for c in data["coverage"]["outlets"]} == dict(outlets)
    languages = Counter(r["language"] for r in rows if r["language"])
    assert {c["value"]: c["count"] for c in data["coverage"]["languages"]} == dict(languages)
    methods = Counter(f"{p['field']}: {p['method']}" for r in rows for p in r["provenance"])
    assert {c["value"]: c["count"] for c in data["coverage"]["methods"]} == dict(methods)
    authors = next(u for u in data["coverage"]["unknown"] if u["field"] == "authors")
    assert authors["count"] == sum(1 for r in rows if not r["authors"])
    assert data["overview"]["balanced"] is True
    assert data["relations"]["families"][0]["members"] >= 2
    assert data["manifest"]["name"] == "example"


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="no /usr/bin/chromium (.ci/run installs it)")
def test_the_report_works_in_a_real_browser(report, rows, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests, errors = [], []
    args = [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ]  # fmt: skip
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto((report / "index.html").as_uri())
            outlets = Counter(r["outlet"] for r in rows if r["outlet"])
            drawn = page.eval_on_selector_all(
                "#chart-outlets rect.bar",
                "els => els.map(e => [e.dataset.label, Number(e.dataset.count),"
                " e.getBoundingClientRect().width])",
            )
            assert {label: n for label, n, _ in drawn} == dict(outlets)
            assert all(width > 0 for _, _, width in drawn)

            page.goto((report / "records.html").as_uri())
            assert page.locator("#records-table tbody tr").count() == len(rows)
            title = "Carrow Point keeper’s cottage to reopen as a maritime museum"
            page.fill("#search", "maritime museum")
            shown = page.locator("#records-table tbody tr")
            assert shown.count() == sum(
                1 for r in rows if r["title"] and "maritime museum" in r["title"].lower()
            )
            assert title in shown.first.inner_text()
            page.click('th[data-column="2"]')  # sort by outlet
            page.fill("#search", "")
            ordered = page.eval_on_selector_all(
                "#records-table tbody tr td:nth-child(2)", "els => els.map(e => e.textContent)"
            )
            assert ordered == sorted(r["outlet"] or "" for r in rows)

            shown.first.locator("a").click()
            page.wait_for_load_state()
            kinds = page.eval_on_selector_all(
                "#capture mark[data-kind]", "els => els.map(e => e.dataset.kind)"
            )
            assert "body" in kinds and "headline" in kinds

            near = next((report / "relations").glob("near-duplicate-*.html"))
            page.goto(near.as_uri())
            marked = page.eval_on_selector_all(
                "mark.shared", "els => els.map(e => [e.closest('[id]').id, e.textContent])"
            )
            source = [t for where, t in marked if where == "source-body"]
            target = [t for where, t in marked if where == "target-body"]
            assert source and source == target
            assert page.locator("mark.shared").first.evaluate(
                "e => getComputedStyle(e).backgroundColor"
            ) not in ("rgba(0, 0, 0, 0)", "transparent")
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests


def _bar_extents(svg: str) -> list[tuple[float, float]]:
    """(x, width) of each bar rect, in document order."""
    found = []
    for rect in re.findall(r"<rect [^>]*>", svg):
        if 'class="bar"' in rect:
            x = float(re.search(r' x="([-0-9.e]+)"', rect).group(1))
            width = re.search(r' width="([-0-9.e]+)"', rect)
            found.append((x, float(width.group(1)) if width else 0.0))
    return found


def test_a_long_outlet_name_does_not_push_the_bars_off_the_chart():
    """pygal sizes a horizontal chart's label margin by the labels and does not cut them: a
    120-character outlet name is cut for the axis (whole in its bar's label and title), so the
    bars keep their room."""
    from archive.report.charts import horizontal_bars
    from archive.summary import Count

    short = _bar_extents(
        horizontal_bars([Count("a.example", 3), Count("b.example", 1)], "records per outlet")
    )
    long = _bar_extents(
        horizontal_bars([Count("x" * 120, 3), Count("b.example", 1)], "records per outlet")
    )
    assert all(x >= 0 for x, _ in long), long
    assert long[0][1] > 0.7 * short[0][1], (short, long)  # the label is cut, the bar is not


def test_a_release_given_as_dot_from_inside_it_is_reported_beside_it(
    release, tmp_path, monkeypatch
):
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    monkeypatch.chdir(copy)
    result = CliRunner().invoke(main, ["report", "."])
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.strip()) == tmp_path / f"{release.name}-report"


def test_a_relations_path_outside_the_release_is_never_opened(release, tmp_path):
    """E019: a manifest naming a table outside the release (absolute, or through ..) had
    every reader show another release's relations as this one's."""
    copy = tmp_path / "copy" / release.name
    shutil.copytree(release, copy)
    outside = tmp_path / "elsewhere.parquet"
    shutil.copy(copy / "relations" / "relations.parquet", outside)
    manifest = json.loads((copy / "manifest.json").read_bytes())
    (copy / "relations" / "linked.parquet").symlink_to(outside)
    for forged in (str(outside), "../../elsewhere.parquet", "relations/linked.parquet"):
        manifest["relations"]["path"] = forged
        write_manifest(copy, manifest)
        for command in (["relations", str(copy)], ["export", str(copy), "--sqlite",
                        str(tmp_path / "x.db"), "--force"]):  # fmt: skip
            done = CliRunner().invoke(main, command)
            assert done.exit_code == 2, (command, done.output)
            assert f"relations path {forged!r}: " in done.output
