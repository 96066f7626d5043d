//! `/text_modules` and `/macros` (issue 16) on SQLite and PostgreSQL: CRUD as Zammad, who may
//! read and write (admins write; agents read the active text modules of their groups), 422s
//! for bad input, sanitised HTML, and Tandem's `POST /macros/{id}/apply` (state, priority and
//! tags change, the live event goes out, customers and read-only agents are refused).

mod common;

use common::live::{drain_tab, open_tab};
use common::*;
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn text_modules_crud_permissions_validation_and_sanitising() {
    for s in servers().await {
        let ctx = s.db.name;
        let users = s.group_id("Users").await;
        let sales = s.group_id("Sales").await;

        // admins create; the content is sanitised, plain text becomes HTML
        let r = send(s.post("/text_modules", ADMIN).json(&json!({
            "name": "Thanks", "keywords": "thx dank", "active": true,
            "content": "<p onclick=\"steal()\">Dear #{ticket.customer.firstname},</p><script>alert(1)</script>",
            "note": "polite",
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let thanks = r.1["id"].as_i64().unwrap();
        let content = r.1["content"].as_str().unwrap();
        assert!(
            content.contains("Dear #{ticket.customer.firstname},")
                && !content.contains("script")
                && !content.contains("onclick"),
            "{ctx}: {content}"
        );
        assert_eq!(r.1["keywords"], "thx dank");
        assert_eq!(r.1["group_ids"], json!([]));
        assert_eq!(r.1["active"], true);
        assert!(r.1["created_by_id"].as_i64().unwrap() > 1, "{ctx}");

        let r = send(s.post("/text_modules", ADMIN).json(&json!({
            "name": "Sales only", "content": "Line 1\nLine 2 & 3", "group_ids": [sales.to_string()],
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let sales_only = r.1["id"].as_i64().unwrap();
        assert_eq!(
            r.1["content"], "<div>Line 1<br>Line 2 &amp; 3</div>",
            "{ctx}"
        );
        assert_eq!(r.1["group_ids"], json!([sales]));

        let r = send(s.post("/text_modules", ADMIN).json(&json!({
            "name": "Retired", "content": "old", "active": false,
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let retired = r.1["id"].as_i64().unwrap();

        // admins read all, with paging
        let r = send(s.get("/text_modules", ADMIN)).await;
        assert_eq!(names(&r.1), ["Retired", "Sales only", "Thanks"], "{ctx}");
        let r = send(s.get("/text_modules?page=2&per_page=2", ADMIN)).await;
        assert_eq!(names(&r.1), ["Thanks"], "{ctx}");

        // agent1 (Users and Sales): the active ones; agent2 (read-only on Users): none with
        // groups, and only the active one without groups
        let r = send(s.get("/text_modules", AGENT1)).await;
        assert_eq!(names(&r.1), ["Sales only", "Thanks"], "{ctx}");
        let r = send(s.get("/text_modules", AGENT2)).await;
        assert_eq!(names(&r.1), ["Thanks"], "{ctx}");
        let r = send(s.get(&format!("/text_modules/{sales_only}"), AGENT2)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(s.get(&format!("/text_modules/{retired}"), AGENT1)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(s.get(&format!("/text_modules/{thanks}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["note"], "polite");

        // customers read nothing; agents write nothing
        for (login, req) in [
            (NICOLE, s.get("/text_modules", NICOLE)),
            (NICOLE, s.get(&format!("/text_modules/{thanks}"), NICOLE)),
            (
                AGENT1,
                s.post("/text_modules", AGENT1)
                    .json(&json!({"name": "x", "content": "y"})),
            ),
            (
                AGENT1,
                s.put(&format!("/text_modules/{thanks}"), AGENT1)
                    .json(&json!({"name": "x"})),
            ),
            (AGENT1, s.delete(&format!("/text_modules/{thanks}"), AGENT1)),
        ] {
            let r = send(req).await;
            assert_error(&r, 403, "Not authorized", &format!("{ctx} {login}"));
        }

        // validation: 422 in Zammad's shape, nothing stored
        for (body, message) in [
            (
                json!({"content": "x"}),
                "The required value 'name' is missing.",
            ),
            (
                json!({"name": "x"}),
                "The required value 'content' is missing.",
            ),
            (
                json!({"name": "x", "content": "<p> </p>"}),
                "The required value 'content' is missing.",
            ),
            (
                json!({"name": "n".repeat(251), "content": "x"}),
                "The value of 'name' is too long (maximum is 250 characters).",
            ),
            (
                json!({"name": "x", "keywords": "k".repeat(501), "content": "x"}),
                "The value of 'keywords' is too long (maximum is 500 characters).",
            ),
            (
                json!({"name": "x", "content": "x", "group_ids": [999_999]}),
                "Invalid value for param 'group_ids': no group with id 999999.",
            ),
            (
                json!({"name": 5, "content": "x"}),
                "Invalid value for param 'name': 5",
            ),
        ] {
            let r = send(s.post("/text_modules", ADMIN).json(&body)).await;
            assert_error(&r, 422, message, ctx);
        }
        let r = send(
            s.post("/text_modules", ADMIN)
                .json(&json!({"name": "x", "content": "x", "group_ids": "1"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        let r = send(s.get("/text_modules", ADMIN)).await;
        assert_eq!(r.1.as_array().unwrap().len(), 3, "{ctx}");

        // Tandem: the modules to insert on a ticket, placeholders filled for it and the agent
        let placeholders = json!({
            "title": "Placeholders", "group": "Users", "customer": NICOLE,
            "article": {"body": "hi", "type": "note"},
        });
        let ticket = create_ticket(&s, &placeholders).await;
        let r = send(s.get(
            &format!("/text_modules?ticket_id={ticket}&query=THX"),
            AGENT1,
        ))
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(
            names(&r.1),
            ["Thanks"],
            "{ctx}: by keyword, Sales-only and inactive ones left out"
        );
        let content = r.1[0]["content"].as_str().unwrap();
        assert!(
            content.contains("Dear Nicole,") && !content.contains("#{"),
            "{ctx}: {content}"
        );
        let r = send(s.get(&format!("/text_modules?ticket_id={ticket}"), AGENT1)).await;
        assert_eq!(
            names(&r.1),
            ["Thanks"],
            "{ctx}: not the Sales module on a Users ticket"
        );
        for login in [NICOLE, AGENT2] {
            let r = send(s.get(&format!("/text_modules?ticket_id={ticket}"), login)).await;
            assert_error(&r, 403, "Not authorized", &format!("{ctx} {login}"));
        }
        let r = send(s.get("/text_modules?ticket_id=999999", AGENT1)).await;
        assert_eq!(r.0, 404, "{ctx}: {}", r.1);

        // update and delete
        let r = send(s.put(&format!("/text_modules/{sales_only}"), ADMIN).json(
            &json!({"group_ids": [users], "content": "<b>bold</b><img src=x onerror=alert(1)>"}),
        ))
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["name"], "Sales only");
        assert_eq!(r.1["group_ids"], json!([users]));
        assert!(
            !r.1["content"].as_str().unwrap().contains("onerror"),
            "{ctx}"
        );
        let r = send(s.get("/text_modules", AGENT2)).await;
        assert_eq!(
            names(&r.1),
            ["Thanks"],
            "{ctx}: read-only access is not enough"
        );
        let r = send(s.delete(&format!("/text_modules/{retired}"), ADMIN)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(s.get(&format!("/text_modules/{retired}"), ADMIN)).await;
        assert_eq!(r.0, 404, "{ctx}: {}", r.1);
        let r = send(s.delete(&format!("/text_modules/{retired}"), ADMIN)).await;
        assert_eq!(r.0, 404, "{ctx}: {}", r.1);
        s.finish().await;
    }
}

#[tokio::test]
async fn macros_crud_and_apply() {
    for s in servers().await {
        let ctx = s.db.name;
        let users = s.group_id("Users").await;
        let sales = s.group_id("Sales").await;

        let close = json!({
            "name": "Close as spam", "ux_flow_next_up": "next_from_overview", "note": "spam",
            "perform": {
                "ticket.state_id": {"value": "4"},
                "ticket.priority_id": {"value": 3},
                "ticket.owner_id": {"pre_condition": "current_user.id", "value": ""},
                "ticket.tags": {"operator": "add", "value": "spam, closed-by-macro"},
            },
        });
        let r = send(s.post("/macros", ADMIN).json(&close)).await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let close_id = r.1["id"].as_i64().unwrap();
        assert_eq!(r.1["perform"]["ticket.state_id"], json!({"value": "4"}));
        assert_eq!(
            r.1["perform"]["ticket.tags"],
            json!({"operator": "add", "value": "spam, closed-by-macro"})
        );
        assert_eq!(r.1["ux_flow_next_up"], "next_from_overview");
        assert_eq!(r.1["active"], true);

        let r = send(s.post("/macros", ADMIN).json(&json!({
            "name": "Sales: untag", "group_ids": [sales],
            "perform": {"ticket.tags": {"operator": "remove", "value": "spam"}},
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let untag = r.1["id"].as_i64().unwrap();
        assert_eq!(r.1["ux_flow_next_up"], "none");

        // reads: admins and agents of the groups; customers 403; agents never write
        let r = send(s.get("/macros", AGENT1)).await;
        assert_eq!(names(&r.1), ["Close as spam", "Sales: untag"], "{ctx}");
        let r = send(s.get("/macros", AGENT2)).await;
        assert_eq!(names(&r.1), ["Close as spam"], "{ctx}");
        let r = send(s.get("/macros?per_page=1&page=2", ADMIN)).await;
        assert_eq!(names(&r.1), ["Sales: untag"], "{ctx}");
        let r = send(s.get(&format!("/macros/{untag}"), AGENT2)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(s.get("/macros", NICOLE)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(
            s.put(&format!("/macros/{close_id}"), AGENT1)
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(s.delete(&format!("/macros/{close_id}"), AGENT1)).await;
        assert_error(&r, 403, "Not authorized", ctx);

        // validation
        for (body, message) in [
            (
                json!({"perform": {}}),
                "The required value 'name' is missing.",
            ),
            (
                json!({"name": "x"}),
                "The required value 'perform' is missing.",
            ),
            (
                json!({"name": "x", "perform": {"ticket.state_id": {"value": "99"}}}),
                "Invalid value for param 'perform': 'ticket.state_id' names no record with id 99.",
            ),
            (
                json!({"name": "x", "perform": {"ticket.tags": {"operator": "set", "value": "a"}}}),
                "Invalid value for param 'perform': the operator of 'ticket.tags' must be 'add' or 'remove'.",
            ),
            (
                json!({"name": "x", "perform": {"article.note": {"body": "x"}}}),
                "Invalid value for param 'perform': Tandem's macros do not support 'article.note'.",
            ),
            (
                json!({"name": "x", "perform": {}, "ux_flow_next_up": "elsewhere"}),
                "Invalid value for param 'ux_flow_next_up': one of none, next_task, next_from_overview.",
            ),
            (
                json!({"name": "x", "perform": {}, "note": "n".repeat(251)}),
                "The value of 'note' is too long (maximum is 250 characters).",
            ),
        ] {
            let r = send(s.post("/macros", ADMIN).json(&body)).await;
            assert_error(&r, 422, message, ctx);
        }

        // applying: a ticket of Nicole's in Users
        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "Buy cheap pills", "group": "Users", "customer": NICOLE,
            "article": {"body": "spam", "type": "note"},
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let ticket = r.1["id"].as_i64().unwrap();
        assert_eq!(r.1["group_id"], users);

        // customers, read-only agents and inactive macros are refused; nothing changes
        let apply = |login: &'static str, mac: i64| {
            s.post(&format!("/macros/{mac}/apply"), login)
                .json(&json!({"ticket_id": ticket}))
        };
        assert_refused(apply(NICOLE, close_id), 403, "Not authorized", ctx).await;
        assert_refused(apply(AGENT2, close_id), 403, "Not authorized", ctx).await;
        let apply_path = format!("/macros/{close_id}/apply");
        for (path, body, status) in [
            (apply_path.as_str(), json!({"ticket_id": "abc"}), 422),
            (apply_path.as_str(), json!({"ticket_id": 999_999}), 404),
            ("/macros/999999/apply", json!({"ticket_id": ticket}), 404),
        ] {
            assert_status(s.post(path, AGENT1).json(&body), status, ctx).await;
        }
        let r = send(
            s.put(&format!("/macros/{close_id}"), ADMIN)
                .json(&json!({"active": false})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["name"], "Close as spam", "{ctx}: unchanged fields stay");
        assert_refused(apply(AGENT1, close_id), 403, "Not authorized", ctx).await;
        let r = send(s.get(&format!("/tickets/{ticket}"), AGENT1)).await;
        assert_eq!(r.1["state_id"], 1, "{ctx}: refused applies change nothing");
        let r = send(
            s.put(&format!("/macros/{close_id}"), ADMIN)
                .json(&json!({"active": true})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);

        // agent1 applies it: state, priority, owner and tags change; the tabs hear of it
        let mut agent_tab = open_tab(&s.base, AGENT1, None).await.unwrap();
        drain_tab(&mut agent_tab).await;
        let r = send(apply(AGENT1, close_id)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["ux_flow_next_up"], "next_from_overview");
        assert_eq!(r.1["ticket"]["state_id"], 4, "{ctx}");
        assert_eq!(r.1["ticket"]["priority_id"], 3, "{ctx}");
        let agent1_id = send(s.get("/users/me", AGENT1)).await.1["id"].clone();
        assert_eq!(r.1["ticket"]["owner_id"], agent1_id, "{ctx}");
        let heard = drain_tab(&mut agent_tab).await;
        assert!(
            heard
                .iter()
                .any(|m| m["t"] == "ticket_changed" && m["ticket_id"] == ticket),
            "{ctx}: live event: {heard:?}"
        );
        let r = send(s.get(&format!("/tags?object=Ticket&o_id={ticket}"), AGENT1)).await;
        let mut tags: Vec<String> = serde_json::from_value(r.1["tags"].clone()).unwrap();
        tags.sort();
        assert_eq!(tags, ["closed-by-macro", "spam"], "{ctx}");
        let r = send(s.get(&format!("/ticket_history/{ticket}"), AGENT1)).await;
        let history = r.1["history"].to_string();
        assert!(
            history.contains("closed-by-macro") && history.contains("\"state\""),
            "{ctx}: history {history}"
        );

        // the Sales macro is not for a Users ticket... unless agent1 reaches Sales (it does):
        // it removes the tag
        let r = send(apply(AGENT1, untag)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["ux_flow_next_up"], "none");
        let r = send(s.get(&format!("/tags?object=Ticket&o_id={ticket}"), AGENT1)).await;
        assert_eq!(r.1["tags"], json!(["closed-by-macro"]), "{ctx}");

        // delete
        let r = send(s.delete(&format!("/macros/{untag}"), ADMIN)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(s.get("/macros", ADMIN)).await;
        assert_eq!(names(&r.1), ["Close as spam"], "{ctx}");
        s.finish().await;
    }
}
