"""The `server` fixture: a real HTTP server on 127.0.0.1, stopped afterwards."""
import pytest

from harvest_helpers import Server


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()
