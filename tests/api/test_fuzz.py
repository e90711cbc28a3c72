"""CONTRACT.md: no input, however odd, produces a 5xx. Hypothesis drives the real app through
the ASGI client with odd bodies, odd JSON, odd variables for real operations, and odd OAuth
query strings and form fields, and every answer must be below 500. Bounded (a few hundred
examples in all) so that it runs in `make test` on both databases."""

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.principals import REDIRECT_URI

FUZZ = settings(
    max_examples=130,  # × 3 tests: about 400 requests, some 20 s on this machine
    deadline=None,
    database=None,  # nothing written to the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What breaks parsers and databases: NUL and other controls, lone surrogates, bidirectional
# overrides, other scripts' digits, quotes and backslashes, and long runs.
ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\x07", "\n", "\ud800", "\udfff", "\u202e", "\u2066", "\ufeff", "１", "١", "é", '"', "\\", "%", "'", "😀"]
)


def odd_text(longest: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.one_of(st.characters(), ODD_CHARACTERS), max_size=40),
        st.builds(lambda c, n: c * n, ODD_CHARACTERS, st.integers(1, longest)),
        st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "１００", "+5", "2026-02-30", "2026-09-30T00:00:00"]),
    )


ODD_TEXT = odd_text(3000)
URL_TEXT = odd_text(300)  # a URL stays within what clients send (httpx refuses over 64 KiB)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
)
ODD_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(ODD_TEXT, inner, max_size=4)),
    max_leaves=12,
)


def encode(value: object) -> bytes:
    """JSON with \\u escapes, so lone surrogates travel too."""
    return json.dumps(value, ensure_ascii=True).encode()


def no_5xx(response) -> None:
    assert response.status_code < 500, (response.status_code, response.request.url, response.text[:500])


@given(
    body=st.one_of(
        st.binary(max_size=300),
        ODD_JSON.map(encode),
        st.fixed_dictionaries(
            {}, optional={"query": ODD_JSON, "variables": ODD_JSON, "operationName": ODD_JSON, "extensions": ODD_JSON}
        ).map(encode),
    ),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=latin-1", "text/plain", "", "multipart/form-data"]
    ),
)
@example(body=b'"hello"', content_type="application/json")  # issue 9's cases, always tried
@example(body=b"[" * 100_000, content_type="application/json")
@example(body=b"\xff\xfe", content_type="application/json")
@FUZZ
async def test_odd_bodies_to_graphql(client, body, content_type) -> None:
    no_5xx(await client.post("/graphql", content=body, headers={"content-type": content_type}))


OPERATIONS = {
    "topUp": "mutation($input: TopUpInput!) { topUp(input: $input) { entry { amount reference } userErrors { code } } }",
    "createApp": "mutation($input: CreateAppInput!) { createApp(input: $input) { app { name } userErrors { code } } }",
    "updateAccountProfile": """mutation($input: UpdateAccountProfileInput!) {
      updateAccountProfile(input: $input) { account { profile { name } } userErrors { code } } }""",
    "reportCompromise": """mutation($input: ReportCompromiseInput!) {
      reportCompromise(input: $input) { state userErrors { code } } }""",
    "createPartnerClient": """mutation($input: CreatePartnerClientInput!) {
      createPartnerClient(input: $input) { userErrors { code } } }""",
    "accounts": "query($s: String, $first: Int, $after: String) { accounts(search: $s, first: $first, after: $after) { edges { node { id } } } }",
    "workingDays": "query($from: Date!, $to: Date!) { workingDays(from: $from, to: $to) }",
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "account": "query($id: ID) { account(id: $id) { profile { name } ledger(after: $id) { edges { cursor } } } }",
}
INPUT_FIELDS = {
    "topUp": ["amount", "method", "reference", "idempotencyKey"],
    "createApp": ["name", "terminals", "scenarios"],
    "updateAccountProfile": ["name", "contactPerson", "email", "phone", "address", "effectiveOn"],
    "reportCompromise": ["what", "description", "evidence", "requestedActions"],
    "createPartnerClient": ["name", "scopes"],
}
PLAUSIBLE = {
    "amount": st.sampled_from(["100.00", "0.01", "1.001", "-5", "１００", "1e2", 10**30]),
    "method": st.sampled_from(["ONLINE", "BANK_TRANSFER", "CASH"]),
    "terminals": st.lists(st.sampled_from(["IOS", "WEB", "TOASTER"]), max_size=3),
    "scenarios": st.lists(st.sampled_from(["OTHER", "GAMING", "?"]), max_size=3),
    "what": st.lists(st.sampled_from(["PASSWORD", "APP_SECRET"]), min_size=1, max_size=2),
    "scopes": st.lists(st.sampled_from(["billing:read", "usage:write", "x"]), max_size=2),
    "effectiveOn": st.sampled_from(["2026-09-29", "2026-02-30", "0001-01-01", "9999-12-31"]),
}


@st.composite
def operation(draw) -> tuple[str, dict]:
    name = draw(st.sampled_from(sorted(OPERATIONS)))
    # Mostly well-typed values, so that many requests get past coercion into the services.
    typed = draw(st.sampled_from([True, True, True, False]))
    if name in INPUT_FIELDS:
        fields = {f: draw(PLAUSIBLE.get(f, ODD_TEXT) if typed else ODD_JSON) for f in INPUT_FIELDS[name]}
        variables = {"input": fields if typed or draw(st.booleans()) else draw(ODD_JSON)}
    else:
        names = {"accounts": ["s", "first", "after"], "workingDays": ["from", "to"]}.get(name, ["id"])
        variables = {n: draw(ODD_TEXT if typed else ODD_JSON) for n in names}
        if typed and name == "accounts":
            variables["first"] = draw(st.integers(-5, 200))
    return OPERATIONS[name], variables


@pytest.fixture
def who(principals) -> list[dict]:
    return [{}, principals.holder_a.headers, principals.staff["ADMIN"].headers, principals.staff["SUPPORT"].headers]


@given(op=operation(), as_whom=st.integers(0, 3))
@FUZZ
async def test_odd_variables_for_real_operations(client, who, op, as_whom) -> None:
    query, variables = op
    body = encode({"query": query, "variables": variables})
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json", **who[as_whom]})
    no_5xx(response)


OAUTH_NAMES = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "token",
    "token_type_hint",
    "login",
    "password",
]
GOOD_AUTHORIZE = {
    "response_type": "code",
    "client_id": "console",
    "redirect_uri": REDIRECT_URI,
    "state": "s",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}
OAUTH_PAIRS = st.lists(st.tuples(st.one_of(st.sampled_from(OAUTH_NAMES), URL_TEXT), URL_TEXT), max_size=6)


@given(
    # The authorization endpoint, with an otherwise valid request, most often: it is where
    # the most input reaches authlib and the login form.
    path=st.sampled_from(["/oauth/authorize"] * 3 + ["/oauth/token", "/oauth/revoke", "/oauth/introspect"]),
    method=st.sampled_from(["GET", "POST"]),
    base=st.sampled_from(
        [GOOD_AUTHORIZE, GOOD_AUTHORIZE, {}, {"grant_type": "authorization_code", "client_id": "console"}]
    ),
    query=OAUTH_PAIRS,
    form=OAUTH_PAIRS,
    authorization=st.one_of(st.none(), ODD_TEXT.map(lambda t: "Basic " + t), st.binary(max_size=40)),
)
@example(
    path="/oauth/authorize",
    method="GET",
    base=GOOD_AUTHORIZE,
    query=[("response_type", 'code"')],
    form=[],
    authorization=None,
)
@example(path="/oauth/token", method="POST", base={}, query=[], form=[], authorization="Basic ")
@FUZZ
async def test_odd_oauth_requests(client, path, method, base, query, form, authorization) -> None:
    # A drawn parameter replaces the base's (authlib reads the first value of a name).
    params = [(k, v) for k, v in base.items() if k not in dict(query)] + query
    headers = {}
    if isinstance(authorization, bytes):
        headers["authorization"] = b"Basic " + base64.b64encode(authorization)
    elif authorization is not None:
        headers["authorization"] = authorization.encode("utf-8", "surrogatepass")
    # Form values as the browser would send them: percent-encoded UTF-8 (surrogates as-is).
    data = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in form).encode()
    headers["content-type"] = "application/x-www-form-urlencoded"
    url = path + "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params)
    no_5xx(await client.request(method, url, content=data if method == "POST" else b"", headers=headers))


def _quote(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")
