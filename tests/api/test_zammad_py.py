"""Tandem driven by the real `zammad_py` client library (PyPI `zammad-py`)."""
import base64
import io
import re
import struct
import uuid
import zlib

import pytest
import requests
from requests import HTTPError
from zammad_py import ZammadAPI

from conftest import PASSWORD


def png(width, height):
    """A minimal valid PNG (solid colour), built by hand to stay dependency-free."""
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# --- issue 2: authentication ------------------------------------------------------------

def test_basic_auth_reads_users_me(agent):
    me = agent.user.me()
    assert me["login"] == "agent1@tandem.test"
    assert me["firstname"] == "Anna"


def test_token_auth_and_revocation(base_url):
    r = requests.post(f"{base_url}/api/v1/user_access_token", auth=("agent1@tandem.test", PASSWORD),
                      json={"name": f"pytest-{uuid.uuid4().hex[:6]}", "permission": ["ticket.agent"]})
    assert r.status_code == 201, r.text
    token, token_id = r.json()["token"], r.json()["id"]
    api = ZammadAPI(url=f"{base_url}/api/v1/", http_token=token)
    assert api.user.me()["login"] == "agent1@tandem.test"
    listed = requests.get(f"{base_url}/api/v1/user_access_token", auth=("agent1@tandem.test", PASSWORD)).json()
    assert token_id in [t["id"] for t in listed["tokens"]]
    r = requests.delete(f"{base_url}/api/v1/user_access_token/{token_id}", auth=("agent1@tandem.test", PASSWORD))
    assert r.status_code == 200
    with pytest.raises(HTTPError):
        api.user.me()
    r = requests.get(f"{base_url}/api/v1/users/me", headers={"Authorization": f"Token token={token}"})
    assert r.status_code == 401


def test_missing_and_wrong_credentials(base_url):
    r = requests.get(f"{base_url}/api/v1/users/me")
    assert r.status_code == 403
    assert r.json() == {"error": "Authentication required", "error_human": "Authentication required"}
    r = requests.get(f"{base_url}/api/v1/users/me", auth=("agent1@tandem.test", "wrong-password"))
    assert r.status_code == 401
    assert r.json()["error"] == "Invalid BasicAuth credentials"


# --- issue 3: a whole ticket life -------------------------------------------------------

def test_whole_ticket_life(base_url, agent, admin, nicole, lee):
    marker = f"flux{uuid.uuid4().hex[:8]}"
    attachment = b"%PDF-1.4 fake invoice " + marker.encode()
    image = png(320, 240)
    html = f'<p>Screenshot of {marker}: <img src="data:image/png;base64,{base64.b64encode(image).decode()}"></p>'
    ticket = agent.ticket.create({
        "title": f"Broken flux capacitor {marker}",
        "group": "Users",
        "customer": "nicole@customer.test",
        "article": {
            "subject": "It broke", "body": html, "content_type": "text/html", "type": "note", "internal": False,
            "attachments": [{"filename": "invoice.pdf", "data": base64.b64encode(attachment).decode(),
                             "mime-type": "application/pdf"}],
        },
    })
    tid = ticket["id"]
    assert re.fullmatch(r"\d{5,}", ticket["number"])
    assert len(ticket["article_ids"]) == 1

    # list pages (ascending ids, per_page respected)
    page1 = agent.ticket.all(filters={"per_page": 1})
    assert len(page1) == 1
    page2 = page1.next_page()
    assert len(page2) <= 1 and (len(page2) == 0 or page2[0]["id"] > page1[0]["id"])

    # search (expanded array from zammad_py)
    found = agent.ticket.search(marker)
    assert [t["id"] for t in found] == [tid]
    assert found[0]["customer"] == "nicole@customer.test"

    # reply as agent (public email) and an internal note
    agent.ticket_article.create({"ticket_id": tid, "body": f"We replaced it {marker}", "type": "email",
                                 "to": "nicole@customer.test", "internal": False})
    note = agent.ticket_article.create({"ticket_id": tid, "body": "internal: customer is grumpy", "internal": True})

    # download the attachment and the inline image; compare bytes
    articles = agent.ticket.articles(tid)
    first = articles[0]
    by_name = {a["filename"]: a for a in first["attachments"]}
    assert set(by_name) == {"invoice.pdf", "image1.png"}
    assert by_name["invoice.pdf"]["size"] == str(len(attachment))
    pdf = agent.ticket_article_attachment.download(by_name["invoice.pdf"]["id"], first["id"], tid)
    assert pdf == attachment
    img = agent.ticket_article_attachment.download(by_name["image1.png"]["id"], first["id"], tid)
    assert img == image
    assert f"/api/v1/ticket_attachment/{tid}/{first['id']}/{by_name['image1.png']['id']}?view=inline" in first["body"]

    # the customer sees the ticket, the public reply, never the internal note
    mine = nicole.ticket.find(tid)
    assert mine["id"] == tid
    assert note["id"] not in mine.get("article_ids", [])
    visible = nicole.ticket.articles(tid)
    assert [a["internal"] for a in visible] == [False, False]
    assert "grumpy" not in str(visible)
    with pytest.raises(HTTPError):
        nicole.ticket_article.find(note["id"])
    # another customer sees nothing of it
    with pytest.raises(HTTPError):
        lee.ticket.find(tid)
    assert tid not in [t["id"] for t in lee.ticket.search(marker)]

    # state change by the agent, then admin deletes → 404
    updated = agent.ticket.update(tid, {"state": "closed"})
    assert updated["state_id"] == 4
    with pytest.raises(HTTPError):
        agent.ticket.destroy(tid)  # agents may not delete
    assert admin.ticket.destroy(tid) == {}
    r = requests.get(f"{base_url}/api/v1/tickets/{tid}", auth=("admin@tandem.test", PASSWORD))
    assert r.status_code == 404
    assert r.json()["error"] == f"Couldn't find Ticket with 'id'={tid}"
