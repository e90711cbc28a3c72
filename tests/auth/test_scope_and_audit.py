"""SEC-1: no cross-account reads or writes, through any ID-taking field; ACC-3: every
mutation is audited, refused ones included; staff reads are audited."""

from sqlalchemy import select

from models import AuditRecord, HolderType, RealNameSubmission, User
from schema.relay import encode_id
from tests.accounts.queries import UPDATE_PROFILE
from tests.auth.test_principals import CREATE_PARTNER, CREATE_SUB, DISABLE_SUB, REVOKE_ALL, partner_token
from tests.conftest import DEFAULT_NOW, gql
from tests.factories import make_account
from tests.principals import token_for

ACCOUNT = "query A($id: ID) { account(id: $id) { id profile { name } subAccounts { edges { node { id } } } } }"
NODE = "query N($id: ID!) { node(id: $id) { id } }"
AUDIT_LOG = (
    "query { account { auditLog(first: 100) { edges { node { id action outcome principalKind principal target } } } } }"
)


async def b_objects(client, principals, session) -> dict:
    """Account B's objects: the account, a sub-account and an audit record."""
    created = await gql(
        client,
        CREATE_SUB,
        {"login": "ops@b.test", "permissions": ["billing:read"]},
        headers=principals.holder_b.headers,
    )
    sub_id = created["data"]["createSubAccount"]["subAccount"]["id"]
    record = (
        await session.execute(select(AuditRecord).where(AuditRecord.account_id == principals.account_b.id))
    ).scalar_one()
    return {
        "account": encode_id("Account", principals.account_b.id),
        "sub": sub_id,
        "audit": encode_id("AuditRecord", record.id),
    }


async def attackers(client, principals) -> dict:
    _, _, partner = await partner_token(client, principals.holder_a.headers, scopes=("account:read", "billing:read"))
    return {
        "holder": principals.holder_a.headers,
        "sub-account": principals.sub_a.headers,
        "partner": {"Authorization": f"Bearer {partner}"},
    }


async def test_sec1_idor_matrix_zero_cross_account_reads_or_writes(client, principals, session) -> None:
    objects = await b_objects(client, principals, session)
    for name, headers in (await attackers(client, principals)).items():
        read = await gql(client, ACCOUNT, {"id": objects["account"]}, headers=headers)
        assert read["data"]["account"] is None, name
        for global_id in objects.values():
            assert (await gql(client, NODE, {"id": global_id}, headers=headers))["data"]["node"] is None, name

        disable = await gql(client, DISABLE_SUB, {"id": objects["sub"]}, headers=headers)
        assert disable["data"]["disableSubAccount"]["subAccount"] is None, name
        assert disable["data"]["disableSubAccount"]["userErrors"][0]["code"] in ("NOT_FOUND", "INSUFFICIENT_PERMISSION")
        revoke = await gql(client, REVOKE_ALL, {"id": objects["account"]}, headers=headers)
        assert revoke["data"]["revokeAllTokens"]["account"] is None, name
        assert revoke["data"]["revokeAllTokens"]["userErrors"][0]["code"] in ("NOT_FOUND", "INSUFFICIENT_PERMISSION")

    # The holder gets NOT_FOUND (not FORBIDDEN) for another account's objects.
    disable = await gql(client, DISABLE_SUB, {"id": objects["sub"]}, headers=principals.holder_a.headers)
    assert disable["data"]["disableSubAccount"]["userErrors"][0]["code"] == "NOT_FOUND"
    revoke = await gql(client, REVOKE_ALL, {"id": objects["account"]}, headers=principals.holder_a.headers)
    assert revoke["data"]["revokeAllTokens"]["userErrors"][0]["code"] == "NOT_FOUND"

    # Nothing of B changed: its sub-account is enabled, its holder's token still works.
    b_sub = (await session.execute(select(User).where(User.login == "ops@b.test"))).scalar_one()
    assert b_sub.disabled is False
    assert (await gql(client, ACCOUNT, {"id": None}, headers=principals.holder_b.headers))["data"]["account"]

    # Own objects do resolve (the matrix above is not vacuous).
    own = await gql(
        client, ACCOUNT, {"id": encode_id("Account", principals.account_a.id)}, headers=principals.holder_a.headers
    )
    assert own["data"]["account"]["profile"]["name"] == "甲公司"
    b_sees_own = await gql(client, NODE, {"id": objects["sub"]}, headers=principals.holder_b.headers)
    assert b_sees_own["data"]["node"] == {"id": objects["sub"]}


async def test_sec1_malformed_and_foreign_type_ids_are_not_found(client, principals) -> None:
    headers = principals.holder_a.headers
    for global_id in ("", "garbage", encode_id("HolidayCalendar", principals.account_a.id)):
        assert (await gql(client, ACCOUNT, {"id": global_id}, headers=headers))["data"]["account"] is None
    wrong_type = await gql(client, DISABLE_SUB, {"id": encode_id("Account", principals.account_a.id)}, headers=headers)
    assert wrong_type["data"]["disableSubAccount"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_sec1_staff_read_other_accounts_and_each_read_is_audited(client, principals, session) -> None:
    support = principals.staff["SUPPORT"]
    read = await gql(client, ACCOUNT, {"id": encode_id("Account", principals.account_b.id)}, headers=support.headers)
    assert read["data"]["account"]["profile"]["name"] == "乙公司"
    records = (await session.execute(select(AuditRecord).where(AuditRecord.action == "account.read"))).scalars().all()
    assert [(r.account_id, r.principal_kind, r.principal) for r in records] == [
        (principals.account_b.id, "STAFF", f"staff:{support.login}")
    ]


async def test_acc3_every_mutation_is_audited_refused_ones_too(client, principals) -> None:
    holder = principals.holder_a.headers
    await gql(client, CREATE_SUB, {"login": "ok@a.test", "permissions": ["billing:read"]}, headers=holder)
    await gql(client, CREATE_SUB, {"login": "bad@a.test", "permissions": ["root"]}, headers=holder)  # INVALID
    await gql(client, CREATE_SUB, {"login": "x@a.test", "permissions": []}, headers=principals.sub_a.headers)  # refused
    await gql(client, CREATE_PARTNER, {"scopes": ["billing:read"]}, headers=holder)
    await gql(client, REVOKE_ALL, {"id": encode_id("Account", principals.account_b.id)}, headers=holder)  # NOT_FOUND

    fresh = {"Authorization": f"Bearer {(await token_for(client, principals.holder_a.login))['access_token']}"}
    log = (await gql(client, AUDIT_LOG, headers=fresh))["data"]["account"]["auditLog"]["edges"]
    got = [(e["node"]["action"], e["node"]["outcome"], e["node"]["principalKind"]) for e in log]
    assert got == [
        ("createSubAccount", "OK", "HOLDER"),
        ("createSubAccount", "INVALID", "HOLDER"),
        ("createSubAccount", "INSUFFICIENT_PERMISSION", "SUB_ACCOUNT"),
        ("createPartnerClient", "OK", "HOLDER"),
        ("revokeAllTokens", "NOT_FOUND", "HOLDER"),
    ]
    assert log[0]["node"]["target"] == "user:ok@a.test"
    assert log[0]["node"]["principal"] == f"user:{principals.holder_a.login}"


STAFF_AUDIT_LOG = (
    "query A($id: ID) { account(id: $id) { auditLog(first: 100) { edges { node { action principal } } } } }"
)


async def test_acc3_audit_log_is_for_the_holder_and_staff(client, principals) -> None:
    holder = principals.holder_a
    await gql(client, CREATE_SUB, {"login": "ok@a.test", "permissions": ["billing:read"]}, headers=holder.headers)
    made = ("createSubAccount", f"user:{holder.login}")

    # The holder reads their own account's log...
    own = (await gql(client, AUDIT_LOG, headers=holder.headers))["data"]["account"]["auditLog"]["edges"]
    assert [(e["node"]["action"], e["node"]["principal"]) for e in own] == [made]
    # ...and every staff role reads it by the account's id.
    for role, who in principals.staff.items():
        body = await gql(
            client, STAFF_AUDIT_LOG, {"id": encode_id("Account", principals.account_a.id)}, headers=who.headers
        )
        assert "errors" not in body, (role, body)
        edges = body["data"]["account"]["auditLog"]["edges"]
        assert (edges[0]["node"]["action"], edges[0]["node"]["principal"]) == made, role

    # A sub-account of the same account is refused, at the field.
    body = await gql(client, AUDIT_LOG, headers=principals.sub_a.headers)
    assert body["data"]["account"] == {"auditLog": None}
    assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"
    assert body["errors"][0]["path"] == ["account", "auditLog"]


async def test_acc3_no_interface_changes_audit_records(client, principals) -> None:
    """The schema has no mutation that touches audit records; the database refuses too (see
    tests/services/calendar/test_load.py)."""
    mutations = await gql(
        client, "{ __schema { mutationType { fields { name } } } }", headers=principals.holder_a.headers
    )
    names = [f["name"] for f in mutations["data"]["__schema"]["mutationType"]["fields"]]
    assert names and not [n for n in names if "audit" in n.lower()]


async def test_auth2_support_staff_see_personal_data_masked(client, principals) -> None:
    query = "query($id: ID) { account(id: $id) { profile { name contactPerson email phone address } } }"
    variables = {"id": encode_id("Account", principals.account_a.id)}
    support = (await gql(client, query, variables, headers=principals.staff["SUPPORT"].headers))["data"]["account"][
        "profile"
    ]
    finance = (await gql(client, query, variables, headers=principals.staff["FINANCE"].headers))["data"]["account"][
        "profile"
    ]
    assert finance["phone"] == "13800138000" and finance["contactPerson"] == "张三"
    assert support["name"] == finance["name"]  # the company name is business data
    assert support["phone"] == "1380*****00" and support["contactPerson"] == "张*"
    assert support["email"].startswith(finance["email"][0] + "***@") and support["address"] == "深圳市****"


async def test_auth2_support_sees_an_individuals_name_masked_an_enterprises_in_clear(
    client, principals, session
) -> None:
    """An individual's name is personal data, in the profile as in the real-name subject."""
    person = (await make_account(session, name="王小芳", holder_type=HolderType.INDIVIDUAL)).id
    session.add(
        RealNameSubmission(
            account_id=person,
            subject_type="INDIVIDUAL",
            subject_name="王小芳",
            subject_number_encrypted="v1:unused",
            state="PENDING",
            submitted_at=DEFAULT_NOW,
        )
    )
    await session.commit()
    query = "query($id: ID) { account(id: $id) { profile { name } realName { subjectName } } }"
    seen = {}
    for role in ("SUPPORT", "FINANCE"):
        for key in (person, principals.account_a.id):
            body = await gql(client, query, {"id": encode_id("Account", key)}, headers=principals.staff[role].headers)
            seen[role, key] = body["data"]["account"]
    assert seen["SUPPORT", person] == {"profile": {"name": "王**"}, "realName": {"subjectName": "王**"}}
    assert seen["FINANCE", person] == {"profile": {"name": "王小芳"}, "realName": {"subjectName": "王小芳"}}
    assert seen["SUPPORT", principals.account_a.id]["profile"]["name"] == "甲公司"


async def test_sec1_staff_reads_through_node_are_audited(client, principals, session) -> None:
    created = await gql(
        client, CREATE_SUB, {"login": "n@a.test", "permissions": []}, headers=principals.holder_a.headers
    )
    sub_id = created["data"]["createSubAccount"]["subAccount"]["id"]
    assert (await gql(client, NODE, {"id": sub_id}, headers=principals.staff["SUPPORT"].headers))["data"]["node"] == {
        "id": sub_id
    }
    reads = (
        await session.execute(
            select(AuditRecord.target, AuditRecord.account_id).where(AuditRecord.action == "account.read")
        )
    ).all()
    assert reads == [("user:n@a.test", principals.account_a.id)]


async def test_auth2_support_sees_reported_contact_data_masked_like_the_profile(client, principals) -> None:
    """A profile change's new value is the same personal data as the profile field it changes."""
    change = {"email": "new.boss@example.cn", "address": "深圳市福田区深南大道1号", "effectiveOn": "2026-09-21"}
    updated = await gql(client, UPDATE_PROFILE, {"input": change}, headers=principals.holder_a.headers)
    assert updated["data"]["updateAccountProfile"]["userErrors"] == []
    query = "query($id: ID) { account(id: $id) { profileChanges { edges { node { field newValue } } } } }"
    account = {"id": encode_id("Account", principals.account_a.id)}

    def values(body: dict) -> dict:
        return {e["node"]["field"]: e["node"]["newValue"] for e in body["data"]["account"]["profileChanges"]["edges"]}

    support = values(await gql(client, query, account, headers=principals.staff["SUPPORT"].headers))
    assert support == {"email": "n***@example.cn", "address": "深圳市福田区****"}
    finance = values(await gql(client, query, account, headers=principals.staff["FINANCE"].headers))
    assert finance == {"email": change["email"], "address": change["address"]}
