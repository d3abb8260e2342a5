"""Root conftest: shared fixtures for every test module."""

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.index_fixtures",
    "tests.support.meta_corpus",
]
