"""The rooms of the code (README.md, "The code"), held; measured by bench/structure.py,
which `python -m bench.structure` prints."""

import pytest

from bench import structure


@pytest.fixture(scope="module")
def modules():
    return structure.collect()


def test_no_import_circle_is_larger_than_two_modules(modules):
    too_large = [circle for circle in structure.circles(modules) if len(circle) > 2]
    assert too_large == [], f"modules importing each other in a circle: {too_large}"


def test_no_models_are_imported_inside_functions(modules):
    # An import hidden in a function is how a circle is dodged: move the code instead.
    assert structure.function_level_model_imports(modules) == []


def test_the_cache_knows_tags_not_models(modules):
    assert structure.cache_imports(modules) == []


def test_no_room_imports_a_room_above_it(modules):
    # cache < photos < the story core < each desk (fronts, live, wire) < the content API
    # (which shows every desk's content) < the project.
    assert structure.upward_imports(modules) == []


def test_every_desk_is_in_its_room(modules):
    """The measurement would pass vacuously if a desk's modules were not found."""
    rooms = {structure.ROOMS[structure.room_of(name)][0] for name in modules}
    assert {"cache", "photos", "story core", "desks", "api", "project"} <= rooms
    assert structure.ROOMS[structure.room_of("articles.views")][0] == "story core"
    assert structure.ROOMS[structure.room_of("articles.photos.models")][0] == "photos"
    assert structure.ROOMS[structure.room_of("articles.live.views")][0] == "desks"
    assert structure.ROOMS[structure.room_of("articles.api.webhooks")][0] == "api"


def test_the_story_models_module_stays_readable():
    assert structure.models_lines() < 700
