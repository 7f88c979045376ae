"""Authors of HTML pages: each rule of archive.extract.authors on fictional pages.

Every page here is invented for the test; the expected authors were written by hand from the
page, not by running the code.
"""

from __future__ import annotations

import unicodedata

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.extract import html as html_module
from archive.extract.authors import (
    cleaned_name,
    outlet_names,
    page_authors,
    rejection,
    split_names,
)
from archive.extract.html import extract_html
from archive.model import Hints

BODY = "<p>" + "The harbour council met on Tuesday to discuss the new tide gauge. " * 6 + "</p>"


def _page(head: str = "", byline: str = "", url: str = "https://www.tidewatch.example/a/1"):
    html = (
        f"<html lang='en'><head><title>Tide gauge approved</title>{head}</head><body>"
        f"<article><h1>Tide gauge approved</h1>{byline}{BODY}</article></body></html>"
    )
    return extract_html(html.encode(), Hints(url=url)).extraction


def _authors_provenance(extraction):
    return [p for p in extraction.provenance if p.field == "authors"]


# --- rule: structured markup first, strongest tag first ----------------------------------------


def test_article_author_outranks_a_publisher_in_meta_author():
    extraction = _page(
        '<meta name="author" content="Harbour Press Holdings">'
        '<meta property="article:author" content="Mira Castellanos">'
    )
    assert extraction.authors == ("Mira Castellanos",)
    (prov,) = _authors_provenance(extraction)
    assert prov.method == "html-meta"
    assert "article:author" in prov.evidence and "Mira Castellanos" in prov.evidence


def test_json_ld_author_of_the_first_item_only():
    ld = (
        '<script type="application/ld+json">[{"@type": "NewsArticle", "headline": "Tide",'
        ' "author": [{"@type": "Person", "name": "Oskar Lindqvist"},'
        ' {"@type": "Person", "name": "Ana Ferreira"}]},'
        ' {"@type": "Comment", "text": "hi", "author": {"name": "TideFan99"}}]</script>'
    )
    assert _page(ld).authors == ("Oskar Lindqvist", "Ana Ferreira")


def test_json_ld_article_author_outranks_a_web_page_item_before_it():
    """In a @graph the WebPage item came first, and its author (the site's team) was taken."""
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebPage", "@id": "#page", "author": {"@type": "Person", "name": "Web Team"}},'
        ' {"@type": "NewsArticle", "headline": "Tide", "author": {"@type": "Person",'
        ' "name": "Ana Ferreira"}}]}</script>'
    )
    extraction = _page(ld)
    assert extraction.authors == ("Ana Ferreira",)
    [entry] = _authors_provenance(extraction)
    assert entry.evidence == "json-ld NewsArticle.author.name='Ana Ferreira'"


def test_an_image_author_is_a_credit_not_a_byline():
    ld = (
        '<script type="application/ld+json">{"@type": "ImageObject",'
        ' "author": {"name": "Pia Sandberg"}}</script>'
    )
    extraction = _page(ld)
    assert "Pia Sandberg" not in extraction.authors


def test_byl_is_split_into_names_without_by():
    extraction = _page('<meta name="byl" content="By Ann Lee, Bo Chen and Cai Wen">')
    assert extraction.authors == ("Ann Lee", "Bo Chen", "Cai Wen")


def test_an_and_inside_one_name_does_not_split_it():
    """ "Pellworth Fire and Rescue" gave two authors, Pellworth Fire and Rescue."""
    extraction = _page('<meta name="author" content="Pellworth Fire and Rescue">')
    assert extraction.authors == ("Pellworth Fire and Rescue",)
    assert split_names("Ann Lee & Bo Chen") == ["Ann Lee", "Bo Chen"]
    assert split_names("Fire & Rescue Service, Ann Lee") == ["Fire & Rescue Service", "Ann Lee"]


def test_an_author_url_is_not_a_name():
    extraction = _page(
        '<meta property="article:author" content="https://www.facebook.com/tidewatch">'
    )
    assert all("facebook" not in a.casefold() for a in extraction.authors)


# --- rule: the outlet is not an author ---------------------------------------------------------


def test_the_site_name_in_meta_author_is_not_an_author():
    extraction = _page(
        '<meta name="author" content="Tidewatch Daily">'
        '<meta property="og:site_name" content="Tidewatch Daily">'
    )
    assert extraction.authors == ()
    assert _authors_provenance(extraction) == []


@pytest.mark.parametrize(
    "author",
    [
        "Ediciones Tidewatch Diario",
        "Grupo Tidewatch Diario",
        "Tidewatch Diario Redacción",
        "Redacción de Tidewatch Diario",
        "Grupo Editorial Tidewatch Diario",
        "Redacción",  # the newsroom's word alone
        "Redacción, Tidewatch Diario",
        "Redacción: Tidewatch Diario",
        unicodedata.normalize("NFD", "Redacción Tidewatch Diario"),
        "Ediciones Tidewatch Diário",  # accents do not count
    ],
)
def test_the_outlets_publisher_in_meta_author_is_not_an_author(author):
    extraction = _page(
        f'<meta name="author" content="{author}">'
        '<meta property="og:site_name" content="TIDEWATCH DIARIO">'
    )
    assert extraction.authors == ()
    assert _authors_provenance(extraction) == []


@pytest.mark.parametrize(
    ("author", "outlets"),
    [
        ("Ana Tidewatch", ("Tidewatch",)),  # a person named as the site: no publisher's word
        ("Ediciones Tidewatch Diario", ("Harbour Post",)),  # another house's name
        ("Grupo", ("Grupo",)),  # the word alone is the outlet's whole name: rejected as such
        ("Tidewatch Diário", ("Tidewatch Diário",)),
    ],
)
def test_a_publishers_word_rejects_only_beside_the_outlets_name(author, outlets):
    expected = "outlet" if author == outlets[0] else None
    assert rejection(author, outlets) == expected


def test_a_byline_of_the_outlets_newsroom_is_no_author():
    # trafilatura's read of the byline, its outlet cut: the newsroom's word alone is left
    markup = [('meta[property="og:site_name"]', "TIDEWATCH DIARIO")]
    url = "https://tidewatch.example/a"
    assert page_authors("Por Redacción Tidewatch Diario", markup, url) is None
    assert rejection("The Tidewatch Newsroom", ("Tidewatch",)) == "outlet"
    # the outlet's name alone, with or without its accents or its "The"
    assert rejection("Tidewatch Diário", ("TIDEWATCH DIARIO",)) == "outlet"
    assert rejection("The Tidewatch", ("Tidewatch",)) == "outlet"


def test_the_host_name_is_not_an_author():
    assert rejection("Tidewatch", outlet_names([], "https://www.tidewatch.example/x")) == "outlet"


# --- rule: trafilatura's guess, cleaned and vetted ---------------------------------------------


def test_a_byline_guess_keeps_its_method_and_loses_ui_text():
    extraction = _page(byline='<p class="byline">By Nils Ekberg Link Copied</p>')
    if extraction.authors:  # trafilatura may not read this byline at all: then nothing is said
        assert extraction.authors == ("Nils Ekberg",)
        (prov,) = _authors_provenance(extraction)
        assert prov.method == "trafilatura"


def test_cleaned_name_cuts_roles_ui_and_a_trailing_outlet():
    assert cleaned_name("Howard Quill Staff Writer") == "Howard Quill"
    assert cleaned_name("Lena Marsh Senior Politics Editor") == "Lena Marsh"
    assert cleaned_name("Ida Berg Link Copied") == "Ida Berg"
    assert cleaned_name("Ida Berg TIDEWATCH DAILY", ["Tidewatch Daily"]) == "Ida Berg"
    assert cleaned_name("Tom Reed Tom Reed") == "Tom Reed"
    assert cleaned_name("More stories by Ida Berg") == "Ida Berg"


def test_guess_names_that_are_not_people_are_dropped():
    outlets = ("Tidewatch Daily",)
    assert page_authors("Tidewatch Daily", [('meta[property="og:site_name"]', outlets[0])]) is None
    assert page_authors("January", []) is None
    assert page_authors("Updated Oct 9", []) is None
    assert page_authors("Www Facebook Com", []) is None
    assert page_authors("Harbour Media Inc", []) is None
    assert page_authors("AP", []) is None


def test_a_credits_roll_names_nobody():
    guess = "Ann Lee; Bo Chen using Gloss Lipstick; Cai Wen at Model Agency"
    assert page_authors(guess, []) is None


def test_many_unbacked_guessed_names_are_commenters():
    guess = "Ann Lee; Bo Chen; Cai Wen; Dag Holm; Eva Sjo"
    assert page_authors(guess, []) is None
    backed = [('meta[name="citation_author"]', "Ann Lee")]
    assert page_authors(guess, backed) is not None


def test_a_one_word_piece_of_an_author_url_is_not_a_name():
    markup = [('meta[property="article:author"]', "www.facebook.com/tidewatchnews")]
    assert page_authors("Tidewatchnews", markup) is None
    profile = [('meta[property="article:author"]', "https://tidewatch.example/staff/ann-lee")]
    assert page_authors("Ann Lee", profile).names == ("Ann Lee",)


# --- rejection reasons, one per rule -----------------------------------------------------------


def test_rejection_reasons():
    assert rejection("Photograph by Lars Holm") == "credit"
    assert rejection("Lars Holm via AP") == "credit"
    assert rejection("mira@tidewatch.example") == "url"
    assert rejection("December 2016") == "date"
    assert rejection("Ann ● Lee") == "symbol"
    assert rejection("One Two Three Four Five Six") == "too-long"
    assert rejection("Harbour News") == "organisation"
    assert rejection("—") == "no-letter"
    assert rejection("Mira Castellanos") is None
    assert rejection("小暮ひさのり") is None


def test_split_names_keeps_single_names_whole():
    assert split_names("Mira Castellanos") == ["Mira Castellanos"]
    assert split_names("Ann Lee & Bo Chen") == ["Ann Lee", "Bo Chen"]
    assert split_names("Ann Lee · Tidewatch") == ["Ann Lee", "Tidewatch"]


# --- properties -------------------------------------------------------------------------------

_NAME = st.text(alphabet=st.characters(categories=("L", "Zs", "Pd", "Po")), min_size=1, max_size=30)
_TAGS = st.sampled_from(
    (
        'meta[name="author"]',
        'meta[property="article:author"]',
        "json-ld NewsArticle.author.name",
        'meta[property="og:site_name"]',
        '[rel="author"]',
    )
)


@given(st.lists(_NAME, max_size=6), st.lists(st.tuples(_TAGS, _NAME), max_size=6))
def test_nothing_invented_every_name_is_in_the_input(guessed, markup):
    found = page_authors(";".join(guessed), markup, "https://tidewatch.example/a")
    if found is None:
        return
    sources = [" ".join(g.split()).casefold() for g in guessed]
    sources += [" ".join(v.split()).casefold() for _, v in markup]
    for name in found.names:
        assert name.strip() == name and name
        assert any(name.casefold() in s for s in sources), (name, sources)
        assert rejection(name, outlet_names(markup, "https://tidewatch.example/a")) is None
    assert found.method in ("html-meta", "trafilatura")
    assert len({n.casefold() for n in found.names}) == len(found.names)


def test_a_domain_name_is_not_an_author():
    assert rejection("tidewatch.fr") == "url"
    assert rejection("Ann Lee") is None
    assert page_authors("Tidewatch Fr", [], "https://www.tidewatch.fr/a") is None
    markup = [('meta[name="author"]', "tidewatch.fr")]
    assert page_authors(None, markup, "https://www.tidewatch.fr/a") is None


def test_a_rejected_tag_gets_no_second_chance_through_the_guess():
    markup = [('meta[name="dc.creator"]', "Harbour Desk et faits divers - Tidewatch.fr")]
    assert page_authors("Harbour Desk et faits divers", markup) is None
    assert page_authors("Ann Lee", markup).names == ("Ann Lee",)


def test_a_guess_is_split_on_bullets():
    found = page_authors("Ann Lee • View the website", [])
    assert found.names == ("Ann Lee",)
    assert found.method == "trafilatura"
    assert found.evidence == "page markup"


def test_a_guess_glued_from_two_author_elements_is_two_names():
    """trafilatura reads a byline's two author elements, set side by side with no separator,
    as one name: "Paul Wiseman Fatima Hussein" was one author of a real page."""
    markup = [('[rel="author"]', "Ann Lee"), ('[rel="author"]', "Bo Chen, The Tidewatch Press")]
    found = page_authors("Ann Lee Bo Chen", markup)
    assert found.names == ("Ann Lee", "Bo Chen")
    assert "Ann Lee" in found.evidence and "Bo Chen, The Tidewatch Press" in found.evidence
    # halves that no tag holds are not guessed apart
    assert page_authors("Ann Lee Bo Chen", []).names == ("Ann Lee Bo Chen",)


@pytest.mark.parametrize(
    ("guess", "tags"),
    [
        # one tag holding the whole name keeps it one, whatever others hold
        ("Maria de la Cruz", ["Maria de", "la Cruz", "Maria de la Cruz"]),
        # a half found inside another name (a related story's author) is no name of its own
        ("Maria de la Cruz", ["Maria Delgado", "Carla Cruz"]),
        ("Jan van der Berg", ["Jan Vanek", "Alexander Berg"]),
        ("Ana María García López", ["Ana María Pérez", "Luis García López"]),
        # a half no tag lists first
        ("Ann Lee Bo Chen", ["Ann Lee", "Ann Lee"]),
        ("Ann Lee Bo Chen", ["Ann Lee", "Cy Diaz, Bo Chen"]),
    ],
)
def test_a_name_is_split_only_into_names_tags_list_apart(guess, tags):
    markup = [('[rel="author"]', tag) for tag in tags]
    assert page_authors(guess, markup).names == (guess,)


def test_a_split_needs_each_half_first_in_an_author_tag_not_a_credit():
    """The first name a tag lists: a second one may be an organisation ("Bo Chen, Tidewatch
    Holdings"), and a photo's credit is no author."""
    markup = [('[rel="author"]', "Ann Lee"), ('[rel="author"]', "Bo Chen, Tidewatch Holdings")]
    assert page_authors("Ann Lee Tidewatch Holdings", markup).names == (
        "Ann Lee Tidewatch Holdings",
    )
    markup = [('[rel="author"]', "Ann Lee"), ("json-ld ImageObject.author.name", "Bo Chen")]
    assert page_authors("Ann Lee Bo Chen", markup).names == ("Ann Lee Bo Chen",)
    # a cut inside a comma is no part of either name
    markup = [('[rel="author"]', "Ann Lee"), ('[rel="author"]', "Bo Chen Wu")]
    assert page_authors("Ann Lee, Bo Chen Wu", markup).names == ("Ann Lee", "Bo Chen Wu")


def test_a_commenter_list_stays_one_though_a_name_in_it_splits():
    markup = [('[rel="author"]', "Ann Lee"), ('[rel="author"]', "Bo Chen")]
    assert page_authors("Al Xu; Cy Diaz; Ed Fox; Gil Ho; Ann Lee Bo Chen", markup) is None


PERSON = '<div itemprop="author" itemscope itemtype="https://schema.org/Person">{}</div>'


def test_a_persons_names_in_microdata_are_read_one_by_one():
    """A schema.org Person's ``name`` elements run together unspaced in its text ("Ann LeeBo
    Chen"): each is read alone, and the guess glued from them is split."""
    names = '<span itemprop="name">Ann Lee</span><span itemprop="name">Bo Chen</span>'
    page = _page(byline=PERSON.format(names) + "<p>By Ann Lee Bo Chen</p>")
    assert page.authors == ("Ann Lee", "Bo Chen")


@pytest.mark.parametrize(
    ("person", "values"),
    [
        (
            PERSON.format('<span itemprop="name">Ann Lee</span><b itemprop="name">Bo Chen</b>'),
            ["Ann Lee", "Bo Chen"],
        ),
        # a name in a meta's content: its text is none
        (
            PERSON.format('<meta itemprop="name" content="Ann Lee"><a href="/ann">Profile</a>'),
            ["Ann Lee"],
        ),
        # the name of an item inside the Person is that item's
        (
            PERSON.format(
                '<span itemprop="name">Ann Lee</span><span itemprop="worksFor" itemscope>'
                '<span itemprop="name">Tidewatch Institute</span></span>'
            ),
            ["Ann Lee"],
        ),
        # no name element: the Person's text, as a link's; a meta's, its content
        (PERSON.format("Ann Lee"), ["Ann Lee"]),
        ('<meta itemprop="author" content="Ann Lee">', ["Ann Lee"]),
        ('<a rel="author" href="/ann">Ann <span itemprop="name">Lee</span></a>', ["Ann Lee"]),
    ],
)
def test_the_author_markup_read_from_an_author_item(person, values):
    tree = lxml.html.fromstring(f"<html><body><p>{person}</p>{BODY}</body></html>")
    found = [v for t, v in html_module._markup_values(tree) if t == '[rel="author"]']
    assert found == values


def test_an_organisation_inside_a_person_is_no_name_of_hers():
    """An ``affiliation`` or ``worksFor`` item's name is the organisation's."""
    org = (
        '<span itemprop="{}" itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">Tidewatch Institute</span></span>'
    )
    for prop in ("affiliation", "worksFor"):
        person = PERSON.format(f'By <span itemprop="name">Ann Lee</span> {org.format(prop)}')
        assert "Tidewatch Institute" not in _page(byline=person).authors
