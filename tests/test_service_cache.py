"""service.py's caches: each entry is built once, and a slow one does not hold up the others."""

from __future__ import annotations

import gc
import threading

import pytest

from graph_service import model
from graph_service import service as service_module
from graph_service.service import Service
from graph_service.store import Store


def test_lookups_answer_while_the_records_are_still_loading(pilot_store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10 000 roles the records take minutes: a resource lookup needs only labels and must not wait."""
    release, started, calls = threading.Event(), threading.Event(), []
    real = service_module.read_catalogue

    def slow_catalogue(store):
        calls.append(1)
        started.set()
        assert release.wait(30), "the test never released the records"
        return real(store)

    monkeypatch.setattr(service_module, "read_catalogue", slow_catalogue)
    service = Service(pilot_store)
    loaders = [threading.Thread(target=service.catalogue) for _ in range(2)]
    for loader in loaders:
        loader.start()
    assert started.wait(10)
    looked_up: list[str] = []
    lookup = threading.Thread(target=lambda: looked_up.append(service.resource(
        "https://w3id.org/mikromerit/id/credential/vk-01").iri))
    lookup.start()
    lookup.join(10)
    finished_while_loading = not lookup.is_alive()
    release.set()
    for loader in loaders:
        loader.join(30)
    lookup.join(30)
    assert finished_while_loading and looked_up == ["https://w3id.org/mikromerit/id/credential/vk-01"]
    assert calls == [1], "two requests wanting the records at once read them once"
    assert service.catalogue() is service.catalogue()


def test_an_entry_built_across_a_refresh_is_not_kept(pilot_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service(pilot_store)
    real = service_module.labels

    def labels_then_write(store, langs, fallback):
        found = real(store, langs, fallback)
        service.refresh()  # the graph changed while the labels were read
        return found

    monkeypatch.setattr(service_module, "labels", labels_then_write)
    first = service.labels("sv")
    monkeypatch.setattr(service_module, "labels", real)
    again = service.labels("sv")
    assert again == first and again is not first, "the stale entry was read again, not kept"


def test_the_pages_languages_are_read_in_one_pass_and_others_on_their_own(pilot_store: Store,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """sv and en (and the fallback) come from one read of the labels; each gives what a read of its own would."""
    real, reads = service_module.labels, []

    def counted(store, langs, fallback):
        reads.append(list(langs))
        return real(store, langs, fallback)

    monkeypatch.setattr(service_module, "labels", counted)
    service = Service(pilot_store)
    sv, en = service.labels("sv"), service.labels("en")
    assert reads == [["en", "sv"]]
    assert sv == real(pilot_store, ["sv"], "en")["sv"] and en == real(pilot_store, ["en"], "en")["en"]
    credential = "https://w3id.org/mikromerit/id/credential/vk-01"
    assert sv[credential] != en[credential]  # the pilots label it in both languages
    assert service.labels("de") == real(pilot_store, ["de"], "en")["de"] == en  # no German: English, the fallback
    assert reads == [["en", "sv"], ["de"]]
    service.labels("de")
    assert len(reads) == 2


def test_labels_fall_back_from_the_language_to_the_fallback_to_any(tmp_path) -> None:
    """Asked language first, then the fallback language, then a label in any language; none: no entry."""
    from graph_service.catalogue import labels
    from graph_service.loading import open_graph

    (tmp_path / "labels.ttl").write_text("""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/l/> .
ex:both skos:prefLabel "båda"@sv, "both"@en .
ex:english skos:prefLabel "only English"@en .
ex:german skos:prefLabel "nur Deutsch"@de .
ex:plain skos:prefLabel "no tag" .
ex:none skos:altLabel "not a preferred label"@sv .
""", encoding="utf-8")
    found = labels(open_graph([tmp_path / "labels.ttl"]), ["sv", "en", "fr"], "en")
    mine = {lang: {iri.rsplit("/", 1)[1]: text for iri, text in names.items() if iri.startswith("http://example.org/l/")}
            for lang, names in found.items()}
    assert mine["sv"] == {"both": "båda", "english": "only English", "german": "nur Deutsch", "plain": "no tag"}
    assert mine["en"] == mine["fr"] == {"both": "both", "english": "only English", "german": "nur Deutsch",
                                        "plain": "no tag"}


def test_the_warm_up_reads_what_questions_need_and_builds_the_planners_indexes(pilot_store: Store) -> None:
    """Built after the warm-up's freeze, the indexes made the first ladder at 10 000 roles take 2.8 s."""
    service = Service(pilot_store)
    try:
        service.warm()
    finally:
        gc.unfreeze()
    assert all(key in service._cache for key in ("records", "labels", "coverage sv", "coverage en"))
    catalogue = service.catalogue()
    built = {name for (key, name) in model._PER_CATALOGUE if key == id(catalogue)}
    assert {"blocked", "numbered", "roles"} <= built and "taught_by" in vars(catalogue)
