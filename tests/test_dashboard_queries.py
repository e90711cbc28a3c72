"""The console's first screen (issue 15) costs an exact, constant number of SQL statements,
whatever the sizes of its lists; connections nested in list items (``accounts { apps }``)
cost one query for all parents, not one per parent."""

import pytest

from tests.test_query_counts import add_accounts, add_children, cost, statements

# The holder's dashboard: viewer, the account with profile, balance, standing, 20 apps, 12
# bills with lines, 20 ledger entries, and its enforcement status (bench/console.py drives the
# same document).
DASHBOARD = """
query Dashboard {
  viewer { kind permissions }
  account {
    id holderType standing
    profile { name contactPerson email phone address }
    balance
    paymentStanding { arrears accruedPenalties daysOverdue eligibleForTermination }
    apps(first: 20) { edges { node { id appId name terminals scenarios standing } } }
    bills(first: 12) { edges { node { id period state total paid payBy
                                       lines { product quantity unitPrice discount amount } } } }
    ledger(first: 20) { edges { node { id kind amount balanceAfter createdAt } } }
  }
  enforcementStatus { standing terminationEligible dataDeletionEligible
                      measures { id kind reason effectiveAt } openCases { id source openedAt }
                      nextDeadlines { what due rule } }
}
"""

# What it costs: the bearer check (1), the account (1), its facts for the balance and the
# standing (services/ledger/arrears.account_facts: balance, stored accruals, penalties paid and
# the agreement's end, PRE-3: 1, shared by `balance` and `paymentStanding`), its open bills (1),
# and one each for the pages of apps, bills and ledger entries and for the bills' lines (4): 8.
# enforcementStatus (services/enforcement/status.py) builds its whole answer whatever is asked:
# the account, every AppID's standing, the measures in force, the open cases, the open bills
# twice (PRE-5 and the payment deadlines), the facts again, the cases' cure periods and the
# termination requests (9). Measured, not yet shared with the account's loaders (issue 15 note).
DASHBOARD_SELECTS = 17


def selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


async def test_dashboard_costs_an_exact_constant_number_of_selects(client, app, principals, session) -> None:
    await principals.login(principals.holder_a)
    counts, added = [], 0
    for total in (1, 12):
        for kind in ("apps", "bills", "ledger"):
            await add_children(session, principals, total - added, kind, start=added)
        await session.commit()
        added = total
        with statements(app) as seen:
            response = await client.post("/graphql", json={"query": DASHBOARD}, headers=principals.holder_a.headers)
        body = response.json()
        assert "errors" not in body, body
        assert len(body["data"]["account"]["bills"]["edges"]) == total
        counts.append(len(selects(seen)))
    assert counts == [DASHBOARD_SELECTS, DASHBOARD_SELECTS], counts


NESTED = """
{ accounts(first: 100) { edges { node { id
    apps(first: 5) { edges { node { id appId } } pageInfo { hasNextPage } }
    bills(first: 5) { edges { node { id lines { amount } } } }
    ledger(first: 5) { edges { node { id amount } } } } } } }
"""


@pytest.mark.parametrize("who", ["ADMIN"])
async def test_connections_nested_in_list_items_cost_one_query_for_all_parents(
    client, app, principals, session, who
) -> None:
    staff = principals.staff[who]
    await principals.login(staff)
    for kind in ("apps", "bills", "ledger"):
        await add_children(session, principals, 7, kind)
    await session.commit()
    costs, added = [], 2
    for total in (3, 20):
        await add_accounts(session, total - added)
        await session.commit()
        added = total
        costs.append(await cost(client, app, NESTED, staff.headers))
    assert costs[0] == costs[1], costs
    body = (await client.post("/graphql", json={"query": NESTED}, headers=staff.headers)).json()
    pages = {
        edge["node"]["id"]: edge["node"]["apps"] for edge in body["data"]["accounts"]["edges"] if edge["node"]["apps"]
    }
    with_apps = [page for page in pages.values() if page["edges"]]
    assert len(with_apps) == 1 and len(with_apps[0]["edges"]) == 5 and with_apps[0]["pageInfo"]["hasNextPage"]
