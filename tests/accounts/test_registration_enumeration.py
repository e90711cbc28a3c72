"""ACC-1: registerAccount does not tell anyone which logins exist. A taken login gets the answer
a new one gets, nothing is created, and the login's owner is told by email; concurrent
registrations of one login never end in a 500."""

import asyncio
import email
import email.policy

from sqlalchemy import func, select

from models import Account, AuditRecord, Notice, User
from services.accounts.profile import TAKEN_SUBJECT
from tests.accounts.queries import REGISTER
from tests.billing.helpers import sweep
from tests.conftest import gql, requires_postgres
from tests.principals import authorize_params, pkce_pair, token_for

OWNER = {
    "holderType": "INDIVIDUAL",
    "login": "li.lei@example.cn",
    "password": "the-owners-password",
    "name": "李雷",
    "contactPerson": "李雷",
    "email": "li.lei@example.cn",
    "phone": "13912345678",
    "address": "上海市浦东新区世纪大道100号",
}
PROBE = OWNER | {
    "password": "an-attackers-password",
    "name": "韩梅梅",
    "contactPerson": "韩梅梅",
    "email": "probe@attacker.example",
}


def _without_id(answer: dict) -> dict:
    payload = answer["data"]["registerAccount"]
    return payload | {"account": payload["account"] | {"id": None}}


async def test_acc1_a_taken_login_gets_the_answer_of_a_new_one(client, principals, session, outbox) -> None:
    owner = await gql(client, REGISTER, {"input": OWNER})
    assert owner["data"]["registerAccount"]["userErrors"] == []
    owner_email_before = len(list(outbox.glob("*.eml")))

    taken = await gql(client, REGISTER, {"input": PROBE})
    fresh = await gql(client, REGISTER, {"input": PROBE | {"login": "han.meimei@example.cn"}})
    # Same shape, same userErrors, same fields; only the (opaque, random) id differs.
    assert _without_id(taken) == _without_id(fresh)
    assert taken["data"]["registerAccount"]["userErrors"] == []
    assert taken["data"]["registerAccount"]["account"]["profile"] == {
        "name": "韩梅梅",
        "email": "probe@attacker.example",
    }
    assert taken["data"]["registerAccount"]["account"]["id"] != owner["data"]["registerAccount"]["account"]["id"]

    # Nothing was created for the taken login: one user, and the owner's password still rules.
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(User).where(User.login == OWNER["login"])) == 1
    assert await session.scalar(select(func.count()).select_from(Account).where(Account.name == "韩梅梅")) == 1
    await token_for(client, OWNER["login"], OWNER["password"])
    refused = await client.post(
        "/oauth/authorize",
        params=authorize_params(pkce_pair()[1]),
        data={"login": OWNER["login"], "password": PROBE["password"]},
    )
    assert refused.status_code == 401 and "location" not in refused.headers
    # The attempt is in the audit trail, naming no account (none was created).
    audited = (
        await session.execute(
            select(AuditRecord.account_id, AuditRecord.outcome).where(AuditRecord.target == f"user:{OWNER['login']}")
        )
    ).all()
    assert sorted(account is None for account, _ in audited) == [False, True]

    # The owner, not the prober, is told: by email to the owner's address, through the outbox.
    await sweep(client, principals)
    sent = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]
    told = [m for m in sent if m["Subject"] == TAKEN_SUBJECT]
    assert len(sent) == owner_email_before + 1 and len(told) == 1
    assert told[0]["To"] == OWNER["email"] and OWNER["login"] in told[0].get_content()
    assert all(m["To"] != PROBE["email"] for m in sent)


async def _concurrent_registrations_of_one_login(client, session) -> None:
    tries = 8
    answers = await asyncio.gather(
        *(
            client.post("/graphql", json={"query": REGISTER, "variables": {"input": OWNER | {"name": f"注册{i}"}}})
            for i in range(tries)
        )
    )
    assert [a.status_code for a in answers] == [200] * tries, [a.text for a in answers if a.status_code != 200]
    payloads = [a.json()["data"]["registerAccount"] for a in answers]
    assert all(p["userErrors"] == [] and p["account"] is not None for p in payloads)
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(User).where(User.login == OWNER["login"])) == 1
    assert await session.scalar(select(func.count()).select_from(Account)) == 1
    # The owner is told (once per waiting email; racing losers may each queue one).
    told = await session.scalar(select(func.count()).select_from(Notice).where(Notice.subject == TAKEN_SUBJECT))
    assert 1 <= told < tries


async def test_acc1_concurrent_registrations_of_one_login_never_fail(client, session) -> None:
    await _concurrent_registrations_of_one_login(client, session)


@requires_postgres
async def test_acc1_concurrent_registrations_of_one_login_never_fail_on_postgresql(client, session) -> None:
    await _concurrent_registrations_of_one_login(client, session)
