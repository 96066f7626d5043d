"""Issue 18: the endpoints Zammad's client libraries call, driven through their own code.

`zammad_py`'s resource classes where it has them (links, tag list, ticket tags, users,
organisations, online notifications); where it has none (time accounting, tag search) its
logged-in session makes the raw call, as a zammad_py user would. An expanded ticket is read
through a second library, `zammadoo`, whose `Ticket.articles` reads `article_ids`.
"""
import uuid

import pytest
from requests import HTTPError
from zammad_py.api import OnlineNotification
from zammadoo import Client as ZammadooClient

from conftest import PASSWORD


def marker():
    return f"m{uuid.uuid4().hex[:10]}"


def new_ticket(api, title, customer="nicole@customer.test", group="Users", **article):
    return api.ticket.create({
        "title": title, "group": group, "customer": customer,
        "article": {"subject": title, "body": article.pop("body", f"about {title}"), "type": "note",
                    "internal": False, **article},
    })


def test_time_accounting(agent, admin, nicole):
    ticket = new_ticket(agent, f"Timed {marker()}")
    tid = ticket["id"]
    # time_unit on an article: zammad_py's TicketArticle resource; "1,5" is 1.5 as in Zammad
    article = agent.ticket_article.create({"ticket_id": tid, "body": "worked on it", "internal": True,
                                           "time_unit": "1,5"})
    assert article["time_unit"] == "1.5"
    # zammad_py has no resource for /tickets/{id}/time_accountings: its session makes the calls
    accountings = f"{agent.url}tickets/{tid}/time_accountings"
    r = agent.session.post(accountings, json={"time_unit": 2})
    assert r.status_code == 201, r.text
    second = r.json()["id"]
    listed = agent.session.get(accountings).json()
    assert sorted(float(t["time_unit"]) for t in listed) == [1.5, 2.0]
    expanded = agent.ticket.find(tid)  # zammad_py's find; the sum and the ids ride along
    assert expanded["time_unit"] == "3.5"
    assert len(agent.session.get(f"{agent.url}tickets/{tid}", params={"expand": "true"})
               .json()["ticket_time_accounting_ids"]) == 2
    # only time admins change entries; customers see none
    assert agent.session.put(f"{accountings}/{second}", json={"time_unit": 1}).status_code == 403
    r = admin.session.put(f"{admin.url}tickets/{tid}/time_accountings/{second}", json={"time_unit": "1.0"})
    assert r.status_code == 200, r.text
    assert agent.ticket.find(tid)["time_unit"] == "2.5"
    assert admin.session.delete(f"{admin.url}tickets/{tid}/time_accountings/{second}").status_code == 200
    assert agent.ticket.find(tid)["time_unit"] == "1.5"
    assert nicole.session.get(f"{nicole.url}tickets/{tid}/time_accountings").status_code == 403


def test_links(agent):
    a = new_ticket(agent, f"Parent {marker()}")
    b = new_ticket(agent, f"Child {marker()}")
    # zammad_py's Link resource: add by the source's number, read from either ticket
    assert agent.link.add(link_object_target_value=b["id"], link_object_source_number=a["number"],
                          link_type="parent") == {}
    from_a = agent.link.get(a["id"])
    assert from_a["links"] == [{"link_type": "parent", "link_object": "Ticket", "link_object_value": b["id"]}]
    assert str(b["id"]) in from_a["assets"]["Ticket"]
    from_b = agent.link.get(b["id"])
    assert from_b["links"] == [{"link_type": "child", "link_object": "Ticket", "link_object_value": a["id"]}]
    c = new_ticket(agent, f"Sibling {marker()}")
    assert agent.link.add(link_object_target_value=c["id"], link_object_source_number=a["number"]) == {}
    assert agent.link.get(c["id"])["links"] == [
        {"link_type": "normal", "link_object": "Ticket", "link_object_value": a["id"]}]
    # zammad_py's Link.remove sends the source as `link_object_source_number`, a name Zammad's
    # LinksController#remove does not read (Link.remove takes `link_object_source_value`, the
    # ticket's id; against Zammad it removes nothing): the session sends Zammad's parameters
    for link_type, target in [("parent", b), ("normal", c)]:
        r = agent.session.delete(f"{agent.url}links/remove", json={
            "link_type": link_type, "link_object_source": "Ticket", "link_object_source_value": a["id"],
            "link_object_target": "Ticket", "link_object_target_value": target["id"]})
        assert r.status_code == 200, r.text
    for ticket in [a, b, c]:
        assert agent.link.get(ticket["id"])["links"] == []


def test_tag_list(agent, admin, nicole):
    name = f"Tag{marker()}"
    ticket = new_ticket(agent, f"Tagged {marker()}")
    # zammad_py's TicketTag resource puts a tag on a ticket; the tag list counts it
    agent.ticket_tag.add(ticket["id"], name)
    assert name in agent.ticket.tags(ticket["id"])["tags"]

    def listed():
        return {t["name"]: t for t in admin.taglist.all()}  # zammad_py's TagList resource

    assert listed()[name]["count"] == 1
    spare = f"spare{marker()}"
    admin.taglist.create({"name": spare})
    assert listed()[spare]["count"] == 0
    # rename onto the ticket's tag: one name left, on the ticket
    renamed = f"Renamed{marker()}"
    admin.taglist.update(listed()[name]["id"], {"name": renamed})
    assert agent.ticket.tags(ticket["id"])["tags"] == [renamed]
    # zammad_py has no resource for /tag_search: its session asks (any case)
    found = agent.session.get(f"{agent.url}tag_search", params={"term": renamed.upper()}).json()
    assert [t["value"] for t in found] == [renamed]
    admin.taglist.destroy(listed()[renamed]["id"])
    admin.taglist.destroy(listed()[spare]["id"])
    assert agent.ticket.tags(ticket["id"])["tags"] == []
    assert renamed not in listed() and spare not in listed()
    with pytest.raises(HTTPError):
        agent.taglist.all()  # admin.tag only
    with pytest.raises(HTTPError):
        nicole.taglist.create({"name": "nope"})


def test_user_and_organisation_delete(agent, admin):
    m = marker()
    org = admin.organization.create({"name": f"Short-lived {m}"})
    user = admin.user.create({"firstname": "Temp", "lastname": m, "email": f"{m}@example.test",
                              "organization_id": org["id"], "roles": ["Customer"]})
    with pytest.raises(HTTPError):
        agent.user.destroy(user["id"])  # admin.user only
    # an organisation with a member is referenced: 422, like Zammad
    with pytest.raises(HTTPError) as refused:
        admin.organization.destroy(org["id"])
    assert "references" in str(refused.value)
    assert admin.user.destroy(user["id"]) == {}
    with pytest.raises(HTTPError):
        admin.user.find(user["id"])
    assert admin.organization.destroy(org["id"]) == {}
    with pytest.raises(HTTPError):
        admin.organization.find(org["id"])
    # a customer with a ticket is referenced
    customer = admin.user.create({"firstname": "Kept", "lastname": m, "email": f"kept{m}@example.test",
                                  "roles": ["Customer"]})
    new_ticket(agent, f"Keeps its customer {m}", customer=customer["email"])
    with pytest.raises(HTTPError) as refused:
        admin.user.destroy(customer["id"])
    assert "Can't delete, object has references." in str(refused.value)


def test_online_notifications(agent, nicole):
    # zammad_py has the OnlineNotification resource class but no property on ZammadAPI for it
    bell = OnlineNotification(agent)
    title = f"Bell {marker()}"
    nicole.ticket.create({"title": title, "group": "Users",
                          "article": {"body": "my screen stays dark", "type": "web"}})

    def mine():
        return [n for n in bell.all() if n.get("ticket_title") == title]

    [note] = mine()
    assert note["type"] == "create" and note["seen"] is False
    assert bell.update(note["id"], {"seen": True})["seen"] is True
    assert mine()[0]["seen"] is True
    bell.update(note["id"], {"seen": False})
    bell.mark_all_read()
    assert all(n["seen"] for n in bell.all())
    assert bell.destroy(note["id"]) == {}
    assert mine() == []
    with pytest.raises(HTTPError):
        OnlineNotification(nicole).destroy(note["id"])  # gone, and never hers


def test_expanded_ticket_through_zammadoo(base_url, agent):
    """zammadoo reads `article_ids` from the expanded ticket (`?expand=true`) for `.articles`."""
    ticket = new_ticket(agent, f"Through zammadoo {marker()}", body="first words")
    reply = agent.ticket_article.create({"ticket_id": ticket["id"], "body": "second words", "internal": True})
    client = ZammadooClient(f"{base_url}/api/v1/", http_auth=("agent1@tandem.test", PASSWORD))
    seen = client.tickets(ticket["id"])
    articles = seen.articles
    assert [a.id for a in articles] == [ticket["article_ids"][0], reply["id"]]
    assert [a.body for a in articles] == ["first words", "second words"]
    assert seen.title == ticket["title"]
    assert seen.group.name == "Users"
    # a customer's expanded ticket leaves the internal article out
    customer = ZammadooClient(f"{base_url}/api/v1/", http_auth=("nicole@customer.test", PASSWORD))
    assert [a.id for a in customer.tickets(ticket["id"]).articles] == [ticket["article_ids"][0]]
