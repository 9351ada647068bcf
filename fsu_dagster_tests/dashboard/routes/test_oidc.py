"""Single sign-on against an in-process OpenID Connect provider: claim mapping and every token check."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from fsu_dagster.dashboard.config import DashboardConfig, InsecureConfig
from fsu_dagster.dashboard.oidc import OidcConfig, OidcConfigError, RoleGrant, grant_for, parse_role_map
from fsu_dagster.dashboard.users import ROLES
from fsu_dagster.settings import load_settings

from ..conftest import make_app
from ..oidc_provider import CLIENT_ID, CLIENT_SECRET, ISSUER, TestProvider

OTHER_ROLE = next(r for r in ROLES if r not in ("admin", "lpa"))
ROLE_MAP = {
    "fsu-admins": {"role": "admin"},
    "fsu-force": {"role": OTHER_ROLE},
    **({"fsu-coventry": {"role": "lpa", "lpas": ["COVENTRY"]}} if "lpa" in ROLES else {}),
}
REDIRECT = "http://testserver/auth/oidc/callback"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def provider_key() -> RSAKey:
    return RSAKey.generate_key(2048)


@pytest.fixture
def provider() -> TestProvider:
    return TestProvider()


def oidc_config(provider: TestProvider, **overrides) -> OidcConfig:
    values = {
        "discovery_url": f"{ISSUER}/.well-known/openid-configuration",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "role_map": parse_role_map(json.dumps(ROLE_MAP)),
        "issuer": ISSUER,
        "session_minutes": 30,
        "http_transport": provider.transport(),
    }
    return OidcConfig(**{**values, **overrides})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sso_app(tmp_path, published, users_file, provider, clock):
    return make_app(tmp_path, published.snapshot_dir, users_file, clock=clock, config={"oidc": oidc_config(provider)})


def audit_events(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]


def start(client: TestClient, next: str = "/method") -> dict[str, str]:
    """``GET /login/oidc``: the redirect to the provider, as its query parameters."""
    response = client.get(f"/login/oidc?next={next}", follow_redirects=False)
    assert response.status_code == 302
    url = urlsplit(response.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/authorize"
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def at_provider(provider: TestProvider, params: dict[str, str]) -> dict[str, str]:
    """The browser at the provider (signed in there): the redirect back to us, as its query parameters."""
    back = TestClient(provider.app, base_url=ISSUER).get("/authorize", params=params, follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}


def sso_sign_in(client: TestClient, provider: TestProvider, **claims):
    provider.claims = claims
    params = start(client)
    return client.get("/auth/oidc/callback", params=at_provider(provider, params), follow_redirects=False)


@pytest.mark.parametrize("group", sorted(ROLE_MAP))
def test_sso_signs_in_with_the_mapped_role(sso_app, provider, tmp_path, group):
    """Each mapped claim value gives its role: admin sees the audit log, the others do not."""
    client = TestClient(sso_app)
    response = sso_sign_in(client, provider, groups=["unrelated", group])
    assert (response.status_code, response.headers["location"]) == (303, "/method")
    page = client.get("/method")
    assert page.status_code == 200 and "sso:pat.smith" in page.text
    role = ROLE_MAP[group]["role"]
    assert client.get("/audit", follow_redirects=False).status_code == (200 if role == "admin" else 403)
    login = [e for e in audit_events(tmp_path) if e["event"] == "login"]
    assert login[-1]["user"] == "sso:pat.smith" and login[-1]["path"] == "/auth/oidc/callback"


def test_sso_request_carries_state_nonce_and_pkce(sso_app):
    params = start(TestClient(sso_app))
    assert params["client_id"] == CLIENT_ID and params["redirect_uri"] == REDIRECT
    assert "openid" in params["scope"].split()
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]


def test_sso_session_carries_role_and_lpas_and_ends(sso_app, provider, clock, tmp_path):
    """The session holds the claims' role and LPAs, and ends ``session_minutes`` after sign-in."""
    client = TestClient(sso_app)
    group = "fsu-coventry" if "lpa" in ROLES else "fsu-force"
    assert sso_sign_in(client, provider, groups=[group]).status_code == 303
    assert client.get("/method").status_code == 200
    clock.now += 20 * 60  # within the 30 minutes (and the idle timeout)
    assert client.get("/method").status_code == 200
    clock.now += 11 * 60
    response = client.get("/method", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert audit_events(tmp_path)[-1]["event"] == "session_expired"


def test_unmapped_claim_is_refused(sso_app, provider, tmp_path):
    """Signed in at the provider but in no mapped group: a clear 403 page, no session, audit ``sso_refused``."""
    client = TestClient(sso_app)
    response = sso_sign_in(client, provider, groups=["everyone", "fsu-admins-not"])
    assert response.status_code == 403 and "not in a group that gives access" in response.text
    assert client.get("/method", follow_redirects=False).status_code == 303
    last = audit_events(tmp_path)[-1]
    assert (last["event"], last["user"], last["status"]) == ("sso_refused", "sso:pat.smith", 403)


def test_no_claim_at_all_is_refused(sso_app, provider):
    client = TestClient(sso_app)
    assert sso_sign_in(client, provider).status_code == 403


def refused(client: TestClient, response, tmp_path) -> None:
    assert response.status_code == 401
    assert "did not check out" in response.text or "no ID token" in response.text
    assert client.get("/method", follow_redirects=False).status_code == 303
    events = [e for e in audit_events(tmp_path) if e["path"] == "/auth/oidc/callback"]
    assert events[-1]["event"] == "sso_failed" and events[-1]["status"] == 401


def test_bad_state_is_refused(sso_app, provider, tmp_path):
    """A callback whose state is not the one this browser was given (login CSRF) is refused before any token."""
    client = TestClient(sso_app)
    provider.claims = {"groups": ["fsu-admins"]}
    back = at_provider(provider, start(client))
    back["state"] = "not-the-state-we-sent"
    refused(client, client.get("/auth/oidc/callback", params=back, follow_redirects=False), tmp_path)
    assert provider.token_requests == 0


def test_callback_from_another_browser_is_refused(sso_app, provider, tmp_path):
    """A code and state started in one browser do not sign in another (the state lives in the first's session)."""
    victim, attacker = TestClient(sso_app), TestClient(sso_app)
    provider.claims = {"groups": ["fsu-admins"]}
    back = at_provider(provider, start(attacker))
    refused(victim, victim.get("/auth/oidc/callback", params=back, follow_redirects=False), tmp_path)


def test_bad_nonce_is_refused(sso_app, provider, tmp_path):
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"], nonce="another-nonce"), tmp_path)


def test_missing_nonce_is_refused(sso_app, provider, tmp_path):
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"], nonce=None), tmp_path)


def test_wrong_audience_is_refused(sso_app, provider, tmp_path):
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"], aud="another-client"), tmp_path)


def test_audience_for_another_client_is_refused_even_naming_us_as_authorised_party(sso_app, provider, tmp_path):
    client = TestClient(sso_app)
    response = sso_sign_in(client, provider, groups=["fsu-admins"], aud="another-client", azp=CLIENT_ID)
    refused(client, response, tmp_path)


def test_audience_as_a_list_with_us_is_accepted(sso_app, provider):
    client = TestClient(sso_app)
    assert sso_sign_in(client, provider, groups=["fsu-admins"], aud=[CLIENT_ID]).status_code == 303


def test_wrong_issuer_is_refused(sso_app, provider, tmp_path):
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"], iss="https://evil.test"), tmp_path)


def test_expired_token_is_refused(sso_app, provider, tmp_path):
    """Expired beyond the 2-minute clock-skew leeway."""
    client = TestClient(sso_app)
    past = int(time.time()) - 3600
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"], iat=past, exp=past + 300), tmp_path)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_token_is_refused(sso_app, provider, tmp_path):
    """The claims changed after signing (a force user made admin): the signature no longer matches."""

    def promote(token: str) -> str:
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return ".".join([header, _b64({**claims, "groups": ["fsu-admins"]}), signature])

    provider.mangle = promote
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-force"]), tmp_path)


def test_token_signed_with_another_key_is_refused(sso_app, provider, provider_key, tmp_path):
    """Signed by a key that is not in the provider's JWKS (same key id): refused."""
    provider.sign_key = RSAKey.import_key(provider_key.as_dict(private=True) | {"kid": "test-key-1"})
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"]), tmp_path)


def test_unsigned_token_is_refused(sso_app, provider, tmp_path):
    """``alg: none`` with the signature stripped: refused."""

    def strip(token: str) -> str:
        _, payload, _ = token.split(".")
        return ".".join([_b64({"alg": "none", "kid": "test-key-1"}), payload, ""])

    provider.mangle = strip
    client = TestClient(sso_app)
    refused(client, sso_sign_in(client, provider, groups=["fsu-admins"]), tmp_path)


def test_provider_error_is_refused(sso_app, provider, tmp_path):
    """The provider sends the user back with ``error=access_denied``: a clear page, no session."""
    client = TestClient(sso_app)
    params = start(client)
    response = client.get(
        "/auth/oidc/callback", params={"error": "access_denied", "state": params["state"]}, follow_redirects=False
    )
    refused(client, response, tmp_path)


def test_sso_sign_out_leaves_the_users_file_alone(sso_app, provider, users_file):
    client = TestClient(sso_app)
    before = users_file.read_bytes()
    assert sso_sign_in(client, provider, groups=["fsu-admins"]).status_code == 303
    token = client.get("/method").text.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/method", follow_redirects=False).status_code == 303
    assert users_file.read_bytes() == before


def test_login_page_shows_sso_only_when_configured(sso_app, tmp_path, published, users_file):
    assert 'id="sso"' in TestClient(sso_app).get("/login").text
    plain = TestClient(make_app(tmp_path, published.snapshot_dir, users_file))
    assert 'id="sso"' not in plain.get("/login").text
    assert plain.get("/login/oidc", follow_redirects=False).status_code == 404
    assert plain.get("/auth/oidc/callback?code=x&state=y", follow_redirects=False).status_code == 404


def test_unreachable_provider_gives_a_clear_page(tmp_path, published, users_file, provider):
    """Discovery fails (the provider answers 404): 502 with a plain page, not a stack trace."""
    config = oidc_config(provider, discovery_url=f"{ISSUER}/no-such-document")
    client = TestClient(make_app(tmp_path, published.snapshot_dir, users_file, config={"oidc": config}))
    response = client.get("/login/oidc", follow_redirects=False)
    assert response.status_code == 502 and "could not be reached" in response.text


# --- the role map and the configuration ------------------------------------------------------


def test_role_map_accepts_json_and_yaml():
    assert parse_role_map('{"g": {"role": "admin"}}') == parse_role_map("g:\n  role: admin\n")
    assert parse_role_map("g: admin") == {"g": RoleGrant("admin")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not: [valid", "not JSON or YAML"),
        ("[]", "must map"),
        ('{"g": {"role": "superuser"}}', "role must be one of"),
        ('{"g": {"role": "admin", "lpas": ["COVENTRY"]}}', "only the lpa role"),
        ('{"g": {"role": "admin", "extra": 1}}', "must be"),
        ('{"g": {"role": "admin", "lpas": [1]}}', "lpas must be"),
    ],
)
def test_role_map_errors_are_clear(text, message):
    with pytest.raises(OidcConfigError, match=message):
        parse_role_map(text)


@pytest.mark.skipif("lpa" not in ROLES, reason="needs the LPA-scoped roles (issue 13, item 1)")
def test_lpa_grants_need_an_lpa_and_add_up():
    with pytest.raises(OidcConfigError, match="at least one LPA"):
        parse_role_map('{"g": {"role": "lpa"}}')
    role_map = parse_role_map(
        '{"a": {"role": "lpa", "lpas": ["solihull"]}, "b": {"role": "lpa", "lpas": ["COVENTRY"]}}'
    )
    config = OidcConfig("https://x", "c", "s", "https://x/cb", role_map)
    assert grant_for({"groups": ["a", "b"]}, config) == RoleGrant("lpa", ("COVENTRY", "SOLIHULL"))


def test_widest_role_wins():
    role_map = parse_role_map(json.dumps({"f": {"role": OTHER_ROLE}, "a": {"role": "admin"}}))
    config = OidcConfig("https://x", "c", "s", "https://x/cb", role_map, claim="roles")
    assert grant_for({"roles": ["f", "a"]}, config) == RoleGrant("admin")
    assert grant_for({"roles": "f"}, config) == RoleGrant(OTHER_ROLE)
    assert grant_for({"groups": ["a"]}, config) is None  # another claim than the configured one


def test_oidc_config_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FSU_SESSION_SECRET", "s" * 40)
    settings = load_settings(data_dir=tmp_path)
    assert DashboardConfig.from_env(settings, local=False).oidc is None
    monkeypatch.setenv("FSU_OIDC_ISSUER", ISSUER)
    with pytest.raises(InsecureConfig, match="FSU_OIDC_CLIENT_ID"):
        DashboardConfig.from_env(settings, local=False)
    role_file = tmp_path / "roles.yaml"
    role_file.write_text("fsu-admins:\n  role: admin\n")
    monkeypatch.setenv("FSU_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FSU_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("FSU_OIDC_REDIRECT_URI", "https://fsu.example/auth/oidc/callback")
    monkeypatch.setenv("FSU_OIDC_ROLE_MAP_FILE", str(role_file))
    monkeypatch.setenv("FSU_OIDC_CLAIM", "roles")
    oidc = DashboardConfig.from_env(settings, local=False).oidc
    assert oidc is not None
    assert oidc.discovery_url == f"{ISSUER}/.well-known/openid-configuration"
    assert (oidc.claim, oidc.role_map, oidc.session_minutes) == ("roles", {"fsu-admins": RoleGrant("admin")}, 60)
    assert CLIENT_SECRET not in repr(oidc)
    monkeypatch.setenv("FSU_OIDC_REDIRECT_URI", "http://fsu.example/auth/oidc/callback")
    with pytest.raises(InsecureConfig, match="https"):
        DashboardConfig.from_env(settings, local=False)


def test_role_map_lpas_must_be_configured(tmp_path, published, users_file, provider):
    config = oidc_config(provider, role_map={"g": RoleGrant("admin"), "h": RoleGrant("lpa", ("NOWHERE",))})
    with pytest.raises(OidcConfigError, match="NOWHERE"):
        make_app(tmp_path, published.snapshot_dir, users_file, config={"oidc": config}, lpas=["COVENTRY"])
