//! The storage contract, one suite: every case runs against every backend (`store_test!`).

use std::time::Duration;

mod redis_server;

use futures_lite::FutureExt;
use mcpd_storage::{events_topic, AnyStore, FileStore, MemoryStore, RedisStore, Store};
use redis_server::RedisServer;
use serde_json::json;

/// The directory of a test's file store (made fresh by `backends`, removed after the test).
fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mcpd-contract-{}-{name}", std::process::id()))
}

/// Every backend, freshly made, with a retention of `retention` events per session (the Redis
/// one on its own `redis-server`, which lives as long as the returned guard).
fn backends(name: &str, retention: usize) -> (Vec<AnyStore>, RedisServer) {
    let _ = std::fs::remove_dir_all(temp_dir(name));
    let file = FileStore::open(&temp_dir(name), retention).expect("open the file store");
    let redis = RedisServer::start();
    let on_redis = RedisStore::open(&redis.url(), retention, Duration::from_secs(60))
        .expect("open the redis store");
    let stores = vec![
        AnyStore::Memory(MemoryStore::new(retention)),
        AnyStore::File(file),
        AnyStore::Redis(on_redis),
    ];
    (stores, redis)
}

macro_rules! store_test {
    ($name:ident, $retention:expr, |$store:ident| $body:block) => {
        #[test]
        fn $name() {
            let (stores, _redis) = backends(stringify!($name), $retention);
            for $store in stores {
                let kind = $store.kind();
                smol::block_on(async { $body }.or($store.run()));
                eprintln!("{}: ok on {kind}", stringify!($name));
                drop($store);
                let _ = std::fs::remove_dir_all(temp_dir(stringify!($name)));
            }
        }
    };
}

const LONG: Duration = Duration::from_secs(60);

store_test!(
    saved_snapshots_load_back_and_delete_removes_them,
    10,
    |store| {
        let snapshot =
            json!({"version": "2025-11-25", "logLevel": "info", "subscriptions": ["a://b"]})
                .to_string();
        store.save("s1", &snapshot, LONG).await.unwrap();
        assert_eq!(store.load("s1").await.unwrap(), Some(snapshot));
        assert_eq!(store.load("other").await.unwrap(), None);
        assert_eq!(store.list().await.unwrap(), vec!["s1".to_owned()]);
        assert!(store.delete("s1").await.unwrap());
        assert!(!store.delete("s1").await.unwrap());
        assert_eq!(store.load("s1").await.unwrap(), None);
    }
);

store_test!(ttl_expires_and_touch_slides_it, 10, |store| {
    store
        .save("short", "{}", Duration::from_millis(150))
        .await
        .unwrap();
    store
        .save("slid", "{}", Duration::from_millis(150))
        .await
        .unwrap();
    async_io::Timer::after(Duration::from_millis(100)).await;
    assert!(store
        .touch("slid", Duration::from_millis(300))
        .await
        .unwrap());
    async_io::Timer::after(Duration::from_millis(100)).await;
    assert_eq!(store.load("short").await.unwrap(), None, "expired");
    assert!(
        !store.touch("short", LONG).await.unwrap(),
        "an expired session cannot be revived"
    );
    assert!(
        store.load("slid").await.unwrap().is_some(),
        "touch slid the TTL"
    );
    assert_eq!(store.list().await.unwrap(), vec!["slid".to_owned()]);
});

store_test!(sweep_drops_expired_sessions_and_their_logs, 10, |store| {
    store
        .save("gone", "{}", Duration::from_millis(50))
        .await
        .unwrap();
    store.append("gone", "g", "x", false).await.unwrap();
    store.save("kept", "{}", LONG).await.unwrap();
    async_io::Timer::after(Duration::from_millis(80)).await;
    store.sweep().await.unwrap();
    assert_eq!(store.load("gone").await.unwrap(), None);
    if store.kind() != "redis" {
        assert!(
            store.read_after("gone", "g", 0).await.unwrap().is_empty(),
            "Redis drops it by its own TTL"
        );
    }
    assert!(store.load("kept").await.unwrap().is_some());
});

store_test!(
    event_ids_increase_across_streams_and_reads_stay_on_one_stream,
    10,
    |store| {
        let a1 = store.append("s", "r1", "one", false).await.unwrap();
        let b1 = store.append("s", "r2", "other", false).await.unwrap();
        let a2 = store.append("s", "r1", "two", true).await.unwrap();
        assert!(a1 < b1 && b1 < a2);
        let r1 = store.read_after("s", "r1", 0).await.unwrap();
        assert_eq!(
            r1.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            ["one", "two"]
        );
        assert!(r1[1].is_last && !r1[0].is_last);
        assert_eq!(store.read_after("s", "r1", a1).await.unwrap().len(), 1);
        assert!(
            store.read_after("t", "r1", 0).await.unwrap().is_empty(),
            "never another session's"
        );
        let other = store.append("t", "r1", "t's", false).await.unwrap();
        assert!(other >= 1);
    }
);

store_test!(retention_drops_the_oldest_events, 3, |store| {
    for i in 0..5 {
        store.append("s", "g", &i.to_string(), false).await.unwrap();
    }
    let kept = store.read_after("s", "g", 0).await.unwrap();
    assert_eq!(
        kept.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
        ["2", "3", "4"]
    );
});

store_test!(
    appends_are_announced_and_publish_reaches_every_subscriber,
    10,
    |store| {
        let events = store.subscribe(&events_topic("s")).await.unwrap();
        let a = store.subscribe("topic").await.unwrap();
        let b = store.subscribe("topic").await.unwrap();
        store.append("s", "r7", "x", false).await.unwrap();
        assert_eq!(events.next().await.as_deref(), Some("r7"));
        store.publish("topic", "hello").await.unwrap();
        assert_eq!(a.next().await.as_deref(), Some("hello"));
        assert_eq!(b.next().await.as_deref(), Some("hello"));
        drop(a);
        store.publish("topic", "again").await.unwrap();
        assert_eq!(b.next().await.as_deref(), Some("again"));
        store.publish("nobody-listens", "lost").await.unwrap();
        assert!(store.is_ready().await);
    }
);

#[test]
fn the_file_store_keeps_everything_across_a_reopen_and_refuses_a_second_opener() {
    let dir = temp_dir("reopen");
    let _ = std::fs::remove_dir_all(&dir);
    smol::block_on(async {
        let store = FileStore::open(&dir, 10).unwrap();
        store.save("kept", "{\"n\":1}", LONG).await.unwrap();
        store
            .save("brief", "{}", Duration::from_millis(50))
            .await
            .unwrap();
        let seq = store.append("kept", "r1", "event", false).await.unwrap();
        let second = FileStore::open(&dir, 10).expect_err("a second opener must fail");
        assert!(
            second.to_string().contains("in use by another process"),
            "{second}"
        );
        drop(store);
        async_io::Timer::after(Duration::from_millis(80)).await; // "brief" expires meanwhile
        let store = FileStore::open(&dir, 10).expect("the file is free once the store is dropped");
        assert_eq!(
            store.load("kept").await.unwrap().as_deref(),
            Some("{\"n\":1}")
        );
        assert_eq!(
            store.list().await.unwrap(),
            vec!["kept".to_owned()],
            "expired ones swept at open"
        );
        let events = store.read_after("kept", "r1", 0).await.unwrap();
        assert_eq!((events[0].seq, events[0].data.as_str()), (seq, "event"));
        assert!(
            store.append("kept", "r1", "next", false).await.unwrap() > seq,
            "ids keep increasing"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

store_test!(
    leases_lapse_unless_renewed_and_go_when_released,
    10,
    |store| {
        store
            .lease("run:a", "holder-1", Duration::from_millis(150))
            .await
            .unwrap();
        store.lease("run:b", "holder-2", LONG).await.unwrap();
        assert_eq!(
            store.holder("run:a").await.unwrap().as_deref(),
            Some("holder-1")
        );
        async_io::Timer::after(Duration::from_millis(100)).await;
        store
            .lease("run:a", "holder-1", Duration::from_millis(150))
            .await
            .unwrap();
        async_io::Timer::after(Duration::from_millis(100)).await;
        assert_eq!(
            store.holder("run:a").await.unwrap().as_deref(),
            Some("holder-1"),
            "renewed"
        );
        async_io::Timer::after(Duration::from_millis(120)).await;
        assert_eq!(store.holder("run:a").await.unwrap(), None, "lapsed");
        store.release("run:b").await.unwrap();
        assert_eq!(store.holder("run:b").await.unwrap(), None, "released");
        assert_eq!(store.holder("run:never").await.unwrap(), None);
        store.sweep().await.unwrap();
    }
);
