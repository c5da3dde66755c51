"""Reference data survives the flush that ends every transactional test (post_migrate receivers)."""

import pytest
from django.core.management import call_command

from enrs.core.models import Service
from enrs.membership.models import Tariff
from enrs.offer.models import CodeSystem

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_flush_puts_the_catalogue_tariffs_nomenclatures_and_tile_links_back():
    catalogue = dict(Service.objects.values_list("code", "url_name"))
    assert catalogue["oru"] == "observatory:home"  # linked by observatory/0002_link_oru_tile
    counts = (Tariff.objects.count(), CodeSystem.objects.count())
    assert all(counts)
    call_command("flush", interactive=False, verbosity=0)
    assert dict(Service.objects.values_list("code", "url_name")) == catalogue
    assert (Tariff.objects.count(), CodeSystem.objects.count()) == counts
