"""Shared operations of the ledger tests: an online top-up as the customer asks for it and as the
payment gateway confirms it."""

TOP_UP_ONLINE = "mutation T($input: TopUpInput!) { topUp(input: $input) { topUpId pending userErrors { code } } }"
CONFIRM_ONLINE = """
mutation P($input: ConfirmOnlinePaymentInput!) {
  confirmOnlinePayment(input: $input) { entry { kind amount balanceAfter } pending topUpId userErrors { code field } }
}
"""


def payment(top_up_id: str, amount: str, transaction: str, paid_at: str = "2026-09-30T10:00:00+08:00") -> dict:
    """confirmOnlinePayment's variables, as the payment gateway sends them."""
    input = {"topUpId": top_up_id, "providerTransactionId": transaction, "amount": amount, "paidAt": paid_at}
    return {"input": input}
