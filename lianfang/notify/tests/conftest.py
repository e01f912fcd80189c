import pytest

from lianfang.notify.tests.receiver import Receiver


@pytest.fixture
def robot_hosts(settings):
    """Let robots point at the local receiver (as an intranet proxy would be allowed)."""
    settings.LIANFANG_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


@pytest.fixture
def receivers(robot_hosts):
    """``receivers(kind, secret=...)`` starts a local robot endpoint; all are stopped after the test."""
    started: list[Receiver] = []

    def start(kind: str, secret: str = "", **kwargs) -> Receiver:
        r = Receiver(kind=kind, secret=secret, **kwargs).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()
