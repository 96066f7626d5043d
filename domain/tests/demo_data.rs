//! The demo data the run command loads: accounts, groups, organisations and a few tickets.

mod support;

use domain::dialects::zammad::tickets::{View, render_index};
use domain::policy::access::load_actor;
use domain::storage::files::FileStore;
use domain::storage::paging::Page;
use domain::tickets;

#[tokio::test]
async fn demo_data_loads_once_on_every_backend() {
    for db in support::backends().await {
        let files = FileStore::new(
            std::env::temp_dir().join(format!("tandem-demo-files-{}", std::process::id())),
        );
        let mut tx = db.store.write().await.unwrap();
        domain::setup::seeds::ensure_system_id(&mut tx, Some(55))
            .await
            .unwrap();
        let ids = domain::setup::demo::load(&mut tx, &files)
            .await
            .unwrap()
            .expect("first load");
        assert!(
            domain::setup::demo::load(&mut tx, &files)
                .await
                .unwrap()
                .is_none(),
            "{}: second load is a no-op",
            db.name
        );
        tx.commit().await.unwrap();

        let mut conn = db.store.read().await.unwrap();
        let anna = load_actor(&mut conn, ids.agent1, None).await.unwrap();
        let list = {
            let page = tickets::index(&db.store, &anna, Page::new(None, None, 100, 100))
                .await
                .unwrap();
            render_index(&mut conn, &anna, &page, View::default())
                .await
                .unwrap()
        };
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 4, "{}", db.name);
        assert_eq!(list[0]["number"], "55001");
        assert_eq!(
            list[0]["article_count"], 3,
            "{}: customer web + agent reply + internal note",
            db.name
        );
        assert_eq!(
            list[0]["state_id"], 2,
            "{}: the agent's e-mail opened it",
            db.name
        );
        let bob = load_actor(&mut conn, ids.agent2, None).await.unwrap();
        let bobs = {
            let page = tickets::index(&db.store, &bob, Page::new(None, None, 100, 100))
                .await
                .unwrap();
            render_index(&mut conn, &bob, &page, View::default())
                .await
                .unwrap()
        };
        assert_eq!(
            bobs.as_array().unwrap().len(),
            3,
            "{}: Bob cannot read Sales",
            db.name
        );
        let lee = load_actor(&mut conn, ids.lee, None).await.unwrap();
        let lees = {
            let page = tickets::index(&db.store, &lee, Page::new(None, None, 100, 100))
                .await
                .unwrap();
            render_index(&mut conn, &lee, &page, View::default())
                .await
                .unwrap()
        };
        assert_eq!(lees.as_array().unwrap().len(), 1, "{}", db.name);
        drop(conn);
        db.finish().await;
    }
}
