"""Text captures as a browser's select-all-and-copy gives a page: every menu item a line of its
own, a consent prompt's buttons among them, and, where no style sheet set them apart, labels
run into one another ("Accessibility helpSkip to navigation"). The captures are fictional."""

from __future__ import annotations

import pytest

from archive.extract.text import extract_text_capture
from archive.model import Hints

STORY = (
    "The ferry operators of the Tarn Valley reached an agreement with the district council on "
    "Tuesday evening, ending a dispute over the winter timetable that had left island residents "
    "uncertain about crossings for most of the autumn.\n\n"
    "Under the new schedule the first boat will leave the harbour at half past six, and the "
    "last will return shortly before ten, the operators said in a statement."
)
HEADLINE = "Tarn Valley ferry crews agree a new winter timetable"
HEADER = f"{HEADLINE}\nBy Ada Quill\n3 March 2021\n\n"


def _extracted(text: str):
    return extract_text_capture(text, Hints(), language=False)


def _kinds(x, text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.kind for s in x.spans}


@pytest.mark.parametrize("doubled", ["Byby", "ByBy", "By by", "BY BY"])
def test_by_run_into_by_opens_the_byline_once(doubled):
    text = f"Tarn Valley ferry crews agree a new winter timetable\n{doubled} ADA QUILL\n\n{STORY}"
    x = _extracted(text)
    assert x.authors == ("Ada Quill",)
    (entry,) = [p for p in x.provenance if p.field == "authors"]
    assert entry.evidence == "byline:by: ADA QUILL"


def test_a_name_that_starts_with_by_keeps_it():
    text = f"Tarn Valley ferry crews agree a new winter timetable\nBy Byron Vale\n\n{STORY}"
    assert _extracted(text).authors == ("Byron Vale",)


@pytest.mark.parametrize(
    "top",
    [
        "Accessibility helpSkip to navigationSkip to contentSkip to footer",
        "Skip to main contentSkip to search",
        "Let us know you agree to cookies\n\nYes, I agree\n\nNo, take me to settings",
        "Accessibility links\nKeyboard shortcuts for audio player",
        "Open side navigation menuOpen search bar",
        "Close navigation menu",
    ],
)
@pytest.mark.parametrize("header", [HEADER, f"{HEADLINE}\n\n"], ids=["byline", "headline"])
def test_a_pages_controls_above_the_story_are_furniture(top, header):
    text = f"{top}\n{header}{STORY}"
    x = _extracted(text)
    assert x.title == HEADLINE
    kinds = _kinds(x, text)
    for line in top.split("\n"):
        if line and line != "Accessibility links":
            assert kinds[line].startswith("furniture-"), line
    assert x.text.startswith("The ferry operators")


@pytest.mark.parametrize(
    "line",
    [
        "Walkers skip to the footpath when the tide comes in.",
        "Yes, I agree with the council, she said, but the boats must run on time.",
        "The harbour master asked crews to open the navigation channel by noon.",
        # a line of its own, no full stop, as a transcript or a how-to writes it
        "Yes, I agree",
        "Reject all cookies",
        "Open the main menu",
        "Keyboard shortcuts",
    ],
)
def test_a_story_sentence_with_a_controls_words_stays_in_the_body(line):
    first, second = STORY.split("\n\n")
    text = f"{HEADER}{first}\n\n{line}\n\n{second}"
    assert f"\n\n{line}\n\n" in _extracted(text).text


@pytest.mark.parametrize(
    "stand",
    [
        "Island residents had waited since September for a decision on the crossings.",
        # no full stop: a standfirst still, not the headline under a section's name
        "Residents told to expect delays on the crossing for a week",
    ],
)
def test_a_headline_in_capitals_keeps_its_standfirst(stand):
    text = f"FERRY CREWS AGREE WINTER TIMETABLE\n{stand}\nBy Ada Quill\n3 March 2021\n\n{STORY}"
    x = _extracted(text)
    assert x.title == "FERRY CREWS AGREE WINTER TIMETABLE"
    assert x.standfirst == stand


def test_a_recordings_label_beside_its_player_is_no_headline():
    # the URL's slug names the recording's label too, but it stands among a player's controls
    top = "Listen Live\nPlaylist\nSign In\nNPR Shop\nDonate\nTranscript\n"
    text = f"{top}Tarn Valley Ferry Timetable 24:37\nPodcast\n\n{STORY}"
    url = "https://radio.example/2021/03/03/977/tarn-valley-ferry-timetable"
    x = extract_text_capture(text, Hints(url=url), language=False)
    assert x.title is None


@pytest.mark.parametrize(
    ("head", "slug"),
    [
        ("Harbour Rovers beat Tarn United 31:28", "harbour-rovers-beat-tarn-united-3128"),
        ("Kipchoge wins the Tarn marathon in 2:01:09", "kipchoge-wins-the-tarn-marathon"),
    ],
)
def test_a_headline_ending_in_a_score_or_a_time_is_the_headline_the_url_names(head, slug):
    # a video's controls below it ("Play", "Download") make it no player's label
    text = f"Menu\nHome\nNews\n{head}\nPlay\nDownload\n\n{STORY}"
    x = extract_text_capture(text, Hints(url=f"https://news.example/2021/{slug}"), language=False)
    assert x.title == head


def test_a_headline_about_keyboard_shortcuts_is_the_headline():
    head = "Keyboard shortcuts for the harbour office's new booking system"
    text = f"{head}\nBy Ada Quill\n3 March 2021\n\n{STORY}"
    assert _extracted(text).title == head


def test_a_headline_ending_in_a_time_of_day_is_the_headline_the_url_names():
    top = "Menu\nHome\nNews\n"
    text = f"{top}Tarn ferry sails again at 6:30\n\n{STORY}"
    url = "https://news.example/2021/03/03/tarn-ferry-sails-again-at-630"
    x = extract_text_capture(text, Hints(url=url), language=False)
    assert x.title == "Tarn ferry sails again at 6:30"


def test_a_control_that_says_more_stays_where_it_was():
    # "Open search bar and full menu" is no control's label alone: the line is left as it was
    line = "Open search bar and full menu is what the kiosk asks of visitors"
    text = f"{line}\n\n{STORY}"
    assert not _kinds(_extracted(text), text)[line].startswith("furniture-")


@pytest.mark.parametrize(
    "head",
    [
        "Opinion · Council Stands Firm",
        # a section, then words that could be names: a headline still
        "Opinion · Senate Passes Bill, House Delays Vote",
        "Sport · Harbour Rovers and Tarn United Share Spoils",
    ],
)
def test_a_section_over_a_title_cased_headline_on_its_line_is_kept(head):
    text = f"{head}\n\n{STORY}"
    assert _extracted(text).title == head


@pytest.mark.parametrize("item", ["Smarter Ideas More", "More Activity", "Edition Menu"])
def test_a_menu_item_beside_a_date_is_no_author(item):
    text = f"Harbour\nFerries\n{item}\n3 March 2021\n\n{HEADLINE}\n\n{STORY}"
    assert _extracted(text).authors == ()


@pytest.mark.parametrize(
    ("byline", "name"),
    [
        ("By Thomas More", "Thomas More"),
        ("By Ada Quill and Thomas More", "Thomas More"),
        ("By Lisa See", "Lisa See"),
        ("By Alain Menu", "Alain Menu"),
        ("By Grant Show", "Grant Show"),
        ("By Tom Load", "Tom Load"),
        ("By Ada Quill and Ada Search", "Ada Search"),
    ],
)
def test_a_surname_that_is_also_a_buttons_word_stays_in_a_byline(byline, name):
    x = _extracted(f"{HEADLINE}\n{byline}\n3 March 2021\n\n{STORY}")
    assert name in x.authors


@pytest.mark.parametrize(
    "item", ["Show More", "See More", "Load More", "Discover More", "More Videos"]
)
def test_a_more_button_beside_a_date_is_no_author(item):
    text = f"Harbour\nFerries\n{item}\n3 March 2021\n\n{HEADLINE}\n\n{STORY}"
    assert _extracted(text).authors == ()
