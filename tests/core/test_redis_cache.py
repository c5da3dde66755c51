"""The production cache configuration against a real Redis server.

``ENRS_TEST_REDIS_URL`` is exported by .ci/run; without it the test skips,
which ENRS_REQUIRE_ALL=1 turns into a failure in CI.
"""

import os

import pytest

REDIS_URL = os.environ.get("ENRS_TEST_REDIS_URL")


@pytest.fixture
def redis_cache(settings):
    if not REDIS_URL:
        pytest.skip("ENRS_TEST_REDIS_URL non défini : pas de serveur Redis de test")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.mark.django_db
def test_readyz_uses_the_real_redis_cache(client, redis_cache):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}
    assert redis_cache.get("enrs:readyz") == "1"  # the probe really wrote to Redis


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_redis(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error"
