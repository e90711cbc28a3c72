"""INV-1 the invoice profile and its change records; INV-3 the taxpayer certificate, checked by
content, stored by SHA-256 in its own table, downloaded only by the holder and FINANCE."""

import hashlib

import pytest
from sqlalchemy import select

from models import InvoiceProfile, StoredDocument
from services.errors import InvalidInput
from services.invoices import documents
from tests.conftest import gql
from tests.invoices.helpers import (
    INVOICES,
    JPEG,
    PDF,
    PNG,
    PROFILE,
    SET_PROFILE,
    TEXT,
    UPLOAD,
    b64,
    payload_of,
)
from tests.principals import token_for


async def _upload(client, headers, filename: str, content: bytes) -> dict:
    return payload_of(
        await gql(client, UPLOAD, {"input": {"filename": filename, "contentBase64": b64(content)}}, headers=headers)
    )


async def test_inv1_profile_changes_are_kept(client, principals) -> None:
    holder = principals.holder_a.headers
    first = payload_of(await gql(client, SET_PROFILE, {"input": PROFILE}, headers=holder))
    assert first["userErrors"] == []
    assert first["account"]["invoiceProfile"]["title"] == "甲公司"
    assert first["account"]["invoiceProfile"]["taxpayerCertificateOnFile"] is False
    changed = payload_of(await gql(client, SET_PROFILE, {"input": {**PROFILE, "title": "甲科技公司"}}, headers=holder))
    assert changed["account"]["invoiceProfile"]["title"] == "甲科技公司"
    same = payload_of(await gql(client, SET_PROFILE, {"input": {**PROFILE, "title": "甲科技公司"}}, headers=holder))
    assert same["userErrors"][0]["code"] == "INVALID"  # nothing differs: nothing to record

    changes = (await gql(client, INVOICES, headers=holder))["data"]["account"]["invoiceProfileChanges"]["edges"]
    fields = [(edge["node"]["field"], edge["node"]["newValue"]) for edge in changes]
    assert fields == [
        ("title", "甲公司"),
        ("taxpayerId", PROFILE["taxpayerId"]),
        ("addressPhone", PROFILE["addressPhone"]),
        ("bankAccount", PROFILE["bankAccount"]),
        ("title", "甲科技公司"),
    ]
    assert {edge["node"]["changedBy"] for edge in changes} == {f"user:{principals.holder_a.login}"}


async def test_inv1_profile_refuses_a_bad_taxpayer_id(client, principals) -> None:
    body = await gql(
        client, SET_PROFILE, {"input": {**PROFILE, "taxpayerId": "123"}}, headers=principals.holder_a.headers
    )
    assert payload_of(body)["userErrors"][0]["field"] == ["taxpayerId"]


async def test_inv1_only_the_holder_sets_the_profile(client, principals) -> None:
    body = await gql(client, SET_PROFILE, {"input": PROFILE}, headers=principals.sub_a.headers)
    assert payload_of(body)["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"


async def test_inv3_uploads_are_recognised_by_content(client, principals, session) -> None:
    holder = principals.holder_a.headers
    assert payload_of(await gql(client, SET_PROFILE, {"input": PROFILE}, headers=holder))["userErrors"] == []

    # A PDF named .png is a PDF: the content decides, the name is only kept for display.
    pdf = await _upload(client, holder, "scan.png", PDF)
    assert pdf["userErrors"] == []
    profile = pdf["account"]["invoiceProfile"]
    assert profile["taxpayerCertificateOnFile"] is True and profile["taxpayerCertificateFilename"] == "scan.png"
    assert profile["taxpayerCertificatePath"] == f"/documents/{hashlib.sha256(PDF).hexdigest()}"
    await session.rollback()  # a fresh read: the app committed since
    stored = await session.scalar(
        select(StoredDocument).where(StoredDocument.sha256 == hashlib.sha256(PDF).hexdigest())
    )
    assert stored.content_type == "application/pdf" and stored.content == PDF

    # A PNG named .pdf is a PNG; a JPEG is accepted too.
    png = await _upload(client, holder, "scan.pdf", PNG)
    assert png["userErrors"] == []
    await session.rollback()  # a fresh read: the app committed since
    stored = await session.scalar(
        select(StoredDocument).where(StoredDocument.sha256 == hashlib.sha256(PNG).hexdigest())
    )
    assert stored.content_type == "image/png"
    assert (await _upload(client, holder, "scan.jpg", JPEG))["userErrors"] == []

    # Text named .pdf is refused, and so is what is not base64.
    refused = await _upload(client, holder, "scan.pdf", TEXT)
    assert refused["userErrors"][0]["code"] == "INVALID" and refused["userErrors"][0]["field"] == ["contentBase64"]
    body = await gql(client, UPLOAD, {"input": {"filename": "x.pdf", "contentBase64": "%%%"}}, headers=holder)
    assert payload_of(body)["userErrors"][0]["field"] == ["contentBase64"]

    # The profile row keeps the digest, never the bytes.
    await session.rollback()
    row = await session.scalar(select(InvoiceProfile).where(InvoiceProfile.account_id == principals.account_a.id))
    assert row.certificate_sha256 == hashlib.sha256(JPEG).hexdigest()
    assert not any(isinstance(value, bytes) for value in row.model_dump().values())


def test_inv3_an_11_mb_file_is_refused() -> None:
    """Above 10 MB, whatever the content (the service's limit; over HTTP the 1 MiB body limit
    answers 413 first, see below)."""
    big = PDF + b"\x00" * (11 * 1024 * 1024)
    with pytest.raises(InvalidInput) as refused:
        documents.check(b64(big), filename="big.pdf", field="contentBase64")
    assert "10 MB" in refused.value.message
    with pytest.raises(InvalidInput):
        documents.check_bytes(big, filename="big.pdf", field="contentBase64")
    exactly = PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF))
    assert documents.check_bytes(exactly, filename="ok.pdf", field="contentBase64").content_type == "application/pdf"


async def test_inv3_an_11_mb_upload_over_http_is_refused(client, principals) -> None:
    big = PDF + b"\x00" * (11 * 1024 * 1024)
    response = await client.post(
        "/graphql",
        json={"query": UPLOAD, "variables": {"input": {"filename": "big.pdf", "contentBase64": b64(big)}}},
        headers=principals.holder_a.headers,
    )
    assert response.status_code == 413


async def test_inv3_certificate_download_is_for_the_holder_and_finance(client, principals) -> None:
    holder = principals.holder_a.headers
    await gql(client, SET_PROFILE, {"input": PROFILE}, headers=holder)
    path = (await _upload(client, holder, "cert.pdf", PDF))["account"]["invoiceProfile"]["taxpayerCertificatePath"]

    for headers in (holder, principals.staff["FINANCE"].headers):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200 and response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert "no-store" in response.headers["cache-control"]
    assert (await client.get(path)).status_code == 401  # never public
    assert (await client.get(path, headers={"Authorization": "Bearer nonsense"})).status_code == 401
    for who in (principals.holder_b, principals.sub_a, principals.staff["SUPPORT"], principals.staff["ADMIN"]):
        assert (await client.get(path, headers=who.headers)).status_code == 404, who.login
    assert (await client.get("/documents/" + "0" * 64, headers=holder)).status_code == 404
    assert (await client.get("/documents/not-a-digest", headers=holder)).status_code == 404
    # The holder's token narrowed to apps:read does not reach the documents.
    narrowed = await token_for(client, principals.holder_a.login, scope="apps:read")
    narrowed_headers = {"Authorization": f"Bearer {narrowed['access_token']}"}
    assert (await client.get(path, headers=narrowed_headers)).status_code == 404
