"""Shared fixtures: the running Tandem server (TANDEM_URL) and logged-in Zammad clients."""
import os

import pytest
from zammad_py import ZammadAPI

PASSWORD = "tandem-demo"


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("TANDEM_URL")
    if not url:
        pytest.fail("TANDEM_URL is not set: start Tandem and point the tests at it")
    return url.rstrip("/")


def client(base_url, login):
    return ZammadAPI(url=f"{base_url}/api/v1/", username=login, password=PASSWORD)


@pytest.fixture
def agent(base_url):
    return client(base_url, "agent1@tandem.test")


@pytest.fixture
def admin(base_url):
    return client(base_url, "admin@tandem.test")


@pytest.fixture
def nicole(base_url):
    return client(base_url, "nicole@customer.test")


@pytest.fixture
def lee(base_url):
    return client(base_url, "lee@other.test")
