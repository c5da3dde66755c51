"""Pro Santé Connect login against a real OpenID Connect provider process."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from enrs.accounts import services
from enrs.accounts.models import User

from .conftest import authorize_at_provider, callback_path, psc_login, start_psc_login

pytestmark = pytest.mark.django_db


def _logged_in_user(client):
    return client.session.get("_auth_user_id")


def test_known_professional_gets_an_account_and_lands_in_the_pro_space(client, psc, directory_professional):
    response, _ = psc_login(client, directory_professional.idnat_ps)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    user = User.objects.get(pk=_logged_in_user(client))
    assert user.kind == User.Kind.PROFESSIONAL
    assert not user.has_usable_password()
    directory_professional.refresh_from_db()
    assert directory_professional.user_id == user.pk
    assert client.session[services.SESSION_ACR] == "eidas1"
    assert client.session[services.SESSION_METHOD] == "psc"
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:pro_home")
    assert client.get(reverse("portal:pro_home")).status_code == 200


def test_second_login_opens_the_same_account(client, psc, directory_professional):
    psc_login(client, directory_professional.idnat_ps)
    first = _logged_in_user(client)
    client.logout()
    response, _ = psc_login(client, directory_professional.idnat_ps)
    assert response.status_code == 302 and _logged_in_user(client) == first
    assert User.objects.filter(kind="pro").count() == 1
    assert SocialAccount.objects.filter(provider="psc").count() == 1


def test_professional_with_a_local_account_is_linked_to_it(client, psc, users):
    professional = users["pro"].professional
    response, _ = psc_login(client, professional.idnat_ps)
    assert response.status_code == 302
    assert _logged_in_user(client) == str(users["pro"].pk)
    assert SocialAccount.objects.get(provider="psc").user == users["pro"]


def test_unknown_idnat_is_refused_without_an_account(client, psc, directory_professional):
    response, _ = psc_login(client, "899999999990")
    assert response.status_code == 403
    text = response.content.decode()
    assert "ne figure pas dans" in text and "899999999990" in text and 'role="alert"' in text
    assert _logged_in_user(client) is None
    assert not User.objects.exists() and not SocialAccount.objects.exists()


def test_authorization_request_carries_acr_values_pkce_and_state(client, psc, directory_professional):
    authorize_url = start_psc_login(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["acr_values"] == ["eidas1"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert sorted(query["scope"][0].split()) == ["openid", "scope_all"]
    assert query["state"][0]
    authorize_at_provider(authorize_url, directory_professional.idnat_ps)
    received = psc.last_authorization()
    assert received["acr_values"] == "eidas1" and received["code_challenge"] == query["code_challenge"][0]


def test_replayed_callback_is_refused(client, psc, directory_professional):
    response, callback_url = psc_login(client, directory_professional.idnat_ps)
    assert response.status_code == 302
    client.logout()

    replay = client.get(callback_path(callback_url))
    assert replay.status_code == 401
    assert "déjà été utilisée" in replay.content.decode()
    assert _logged_in_user(client) is None


def test_callback_replayed_in_another_browser_is_refused(client, client_factory, psc, directory_professional):
    callback_url = authorize_at_provider(start_psc_login(client), directory_professional.idnat_ps)
    attacker = client_factory()
    response = attacker.get(callback_path(callback_url))
    assert response.status_code == 401
    assert attacker.session.get("_auth_user_id") is None
    assert not User.objects.exists()


def test_expired_state_is_refused(client, psc, directory_professional):
    callback_url = authorize_at_provider(start_psc_login(client), directory_professional.idnat_ps)
    session = client.session
    states = session[statekit.STATES_SESSION_KEY]
    for state_id, (state, stashed_at, provider_id) in list(states.items()):
        states[state_id] = (state, stashed_at - statekit.STATE_TTL - 1, provider_id)
    session[statekit.STATES_SESSION_KEY] = states
    session.save()

    response = client.get(callback_path(callback_url))
    assert response.status_code == 401
    assert _logged_in_user(client) is None
    assert not User.objects.exists()


def test_forged_code_is_refused(client, psc, directory_professional):
    callback_url = authorize_at_provider(start_psc_login(client), directory_professional.idnat_ps)
    forged = callback_path(callback_url).replace("code=", "code=x", 1)
    response = client.get(forged)
    assert response.status_code == 401
    assert _logged_in_user(client) is None


def test_level_below_the_configured_acr_is_refused(client, settings, psc, directory_professional):
    # The request still asks eidas1 (as if tampered with); eidas2 is required.
    settings.ENRS_PSC_ACR_VALUES = "eidas2"
    response, _ = psc_login(client, directory_professional.idnat_ps)
    assert response.status_code == 403
    assert "est insuffisant" in response.content.decode()
    assert _logged_in_user(client) is None


def test_psc_login_start_is_post_only_and_404_when_unconfigured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert client.post(reverse("openid_connect_login", kwargs={"provider_id": "psc"})).status_code == 404


def test_login_page_shows_the_psc_button_only_when_configured(client, settings, psc):
    page = client.get(reverse("account_login") + "?espace=pro").content.decode()
    assert "Se connecter avec Pro Santé Connect" in page
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Pro Santé Connect</button>" not in client.get(reverse("account_login")).content.decode()


# --- claims and levels, without the provider --------------------------------------------
@pytest.mark.parametrize(
    ("extra_data", "idnat", "acr"),
    [
        ({"userinfo": {"SubjectNameID": "810001234567"}, "id_token": {"acr": "eidas1"}}, "810001234567", "eidas1"),
        ({"userinfo": {"preferred_username": "810001234567"}, "id_token": {}}, "810001234567", ""),
        ({"id_token": {"SubjectNameID": " 810001234567 ", "acr": "eidas2"}}, "810001234567", "eidas2"),
    ],
)
def test_identity_is_read_from_the_configured_claim_or_preferred_username(extra_data, idnat, acr):
    identity = services.psc_identity(extra_data)
    assert (identity.idnat_ps, identity.acr) == (idnat, acr)


def test_identity_claim_name_is_configurable(settings):
    settings.ENRS_PSC_ID_CLAIM = "idnat"
    assert services.psc_identity({"userinfo": {"idnat": "810001234567", "SubjectNameID": "x"}}).idnat_ps == "810001234567"


@pytest.mark.parametrize("extra_data", [{}, {"userinfo": {"SubjectNameID": ""}}, {"userinfo": {"SubjectNameID": 12}}])
def test_missing_identifier_is_refused_in_french(extra_data):
    with pytest.raises(services.PscLoginRefused, match="identifiant national"):
        services.psc_identity(extra_data)


@pytest.mark.parametrize(
    ("wanted", "obtained", "accepted"),
    [("eidas1", "eidas1", True), ("eidas1", "eidas2", True), ("eidas2", "eidas1", False), ("eidas1", "", False),
     ("eidas1", "loa-x", False), ("", "", True), ("custom", "custom", True)],
)
def test_acr_levels_are_ordered(settings, wanted, obtained, accepted):
    settings.ENRS_PSC_ACR_VALUES = wanted
    if accepted:
        services.check_acr(obtained)
    else:
        with pytest.raises(services.PscLoginRefused):
            services.check_acr(obtained)


def test_timestamps_are_recent():
    # Guard for the expiry test above: allauth keeps states for STATE_TTL seconds.
    assert 60 <= statekit.STATE_TTL <= 3600 and time.time() > 0


def test_login_page_lets_its_form_reach_the_provider_and_nothing_else(client, psc):
    policy = client.get(reverse("account_login"))["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert psc.issuer in form_action and "'self'" in form_action
    assert psc.issuer not in next(p for p in client.get("/").get("Content-Security-Policy", "form-action").split(";") if "form-action" in p)


# --- Logout continues at PSC ------------------------------------------------------------------
def test_logout_of_a_psc_session_continues_at_the_provider_end_session_endpoint(client, psc, directory_professional):
    psc_login(client, directory_professional.idnat_ps)
    # Every page of a PSC session may submit its logout form towards the provider.
    policy = client.get(reverse("portal:pro_home"))["Content-Security-Policy"]
    assert psc.issuer in next(part for part in policy.split(";") if "form-action" in part)
    response = client.post(reverse("account_logout"))
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == psc.issuer
    assert location.path == "/session/end"
    assert parse_qs(location.query) == {"client_id": [psc.client_id], "post_logout_redirect_uri": ["http://testserver/"]}
    assert _logged_in_user(client) is None  # the local session is over whatever PSC does next


def test_logout_stays_local_when_psc_logout_is_off(client, settings, psc, directory_professional):
    settings.ENRS_PSC_LOGOUT = False
    psc_login(client, directory_professional.idnat_ps)
    assert client.post(reverse("account_logout"))["Location"] == "/"


def test_logout_stays_local_when_the_provider_cannot_be_reached(client, settings, psc, directory_professional):
    psc_login(client, directory_professional.idnat_ps)
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"] = {**app["settings"], "server_url": "http://127.0.0.1:9"}  # nothing listens on port 9
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]}}
    assert client.post(reverse("account_logout"))["Location"] == "/"
    assert _logged_in_user(client) is None


def test_password_sessions_log_out_locally(client, psc, users):
    client.force_login(users["pro"])
    assert client.post(reverse("account_logout"))["Location"] == "/"
