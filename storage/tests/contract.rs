//! The storage contract, one suite: every case runs against every backend (`store_test!`).

use std::future::Future;
use std::time::{Duration, Instant};

mod redis_server;

use futures_lite::FutureExt;
use mcpd_storage::{events_topic, AnyStore, FileStore, MemoryStore, RedisStore, Store};
use redis_server::RedisServer;
use serde_json::json;

/// The directory of a test's file store (made fresh by `backends`, removed after the test).
fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mcpd-contract-{}-{name}", std::process::id()))
}

/// Removes a directory when dropped (after the test, passed or failed).
struct RemovedOnDrop(std::path::PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every backend, freshly made, with a retention of `retention` events per session (the Redis
/// one on its own `redis-server`, and the file one in its own directory, which live as long as
/// the returned guards).
fn backends(name: &str, retention: usize) -> (Vec<AnyStore>, RedisServer, RemovedOnDrop) {
    let dir = RemovedOnDrop(temp_dir(name));
    let _ = std::fs::remove_dir_all(&dir.0);
    let file = FileStore::open(&dir.0, retention).expect("open the file store");
    let redis = RedisServer::start();
    let on_redis = RedisStore::open(&redis.url(), retention, Duration::from_secs(60))
        .expect("open the redis store");
    let stores = vec![
        AnyStore::Memory(MemoryStore::new(retention)),
        AnyStore::File(file),
        AnyStore::Redis(on_redis),
    ];
    (stores, redis, dir)
}

/// Every backend `store_test!` must have run a case on, in order.
const KINDS: [&str; 3] = ["memory", "file", "redis"];

/// Which of a case's body and its store's `run` finished first.
#[derive(Debug, PartialEq)]
enum Finished {
    Body,
    Run,
}

/// A case run against every backend, its body racing the store's `run` (as in the server). `run`
/// never returns, so its finishing first is a failure, and a case passes only once its body has
/// run to its end on each of memory, file and redis.
macro_rules! store_test {
    ($name:ident, $retention:expr, |$store:ident| $body:block) => {
        #[test]
        fn $name() {
            let test = stringify!($name);
            let (stores, _redis, _dir) = backends(test, $retention);
            let mut passed = Vec::new();
            for $store in stores {
                let kind = $store.kind();
                eprintln!("{test}: on {kind}"); // names the backend a failure below is on
                let body = async {
                    $body;
                    Finished::Body
                };
                let run = async {
                    $store.run().await;
                    Finished::Run
                };
                assert_eq!(
                    smol::block_on(body.or(run)),
                    Finished::Body,
                    "{test} on {kind}: the store's run() returned before the body finished"
                );
                eprintln!("{test}: ok on {kind}");
                passed.push(kind);
            }
            assert_eq!(passed, KINDS, "{test}: the backends it ran on");
        }
    };
}

/// How long an announcement or publication may take to arrive.
const DELIVERY: Duration = Duration::from_secs(5);

/// Awaits `delivery`, failing with "no `what` within 5 s" rather than hanging when it never comes.
async fn within<T>(what: &str, delivery: impl Future<Output = T>) -> T {
    delivery
        .or(async {
            async_io::Timer::after(DELIVERY).await;
            panic!("no {what} within {DELIVERY:?}")
        })
        .await
}

/// Polls `condition` until it holds, failing with `what` after 10 s.
async fn eventually<F: Future<Output = bool>>(what: &str, mut condition: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition().await {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        async_io::Timer::after(Duration::from_millis(10)).await;
    }
}

/// The TTLs tried, shortest first, by a case that needs a renewal to land before the first TTL
/// runs out: on a machine too loaded to make it within the shortest, the case goes again with
/// the next one rather than fail (or pass without testing anything).
const SHORT_TTLS: [Duration; 3] = [
    Duration::from_millis(300),
    Duration::from_millis(1500),
    Duration::from_millis(7500),
];

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
    // "slid" is saved first, so its own TTL has run out by the time "short" (saved after it,
    // with the same TTL) is seen expired: only the touch can keep it alive past that.
    let mut ttls = SHORT_TTLS.iter();
    loop {
        let ttl = *ttls.next().expect("never two calls within 7.5 s");
        let start = Instant::now();
        store.save("slid", "{}", ttl).await.unwrap();
        store.save("short", "{}", ttl).await.unwrap();
        let touched = store.touch("slid", LONG).await.unwrap();
        if start.elapsed() < ttl {
            assert!(touched, "a live session's touch answers true");
            break;
        }
    }
    let short_is_gone = || async { store.load("short").await.unwrap().is_none() };
    eventually("the short session expires", short_is_gone).await;
    assert!(
        !store.touch("short", LONG).await.unwrap(),
        "an expired session cannot be revived"
    );
    assert_eq!(store.load("short").await.unwrap(), None, "still expired");
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
    assert_eq!(
        store.read_after("gone", "g", 0).await.unwrap().len(),
        1,
        "the log is there before the session expires"
    );
    let gone_is_expired = || async { store.load("gone").await.unwrap().is_none() };
    eventually("the session expires", gone_is_expired).await;
    let swept = store.sweep().await.unwrap();
    assert_eq!(store.load("gone").await.unwrap(), None);
    if store.kind() == "redis" {
        // Redis expires the session itself, and the log by its own TTL (60 s here).
        assert_eq!(swept, 0, "nothing left for sweep on Redis");
    } else {
        assert_eq!(swept, 1, "sweep counts the session it dropped");
        assert!(
            store.read_after("gone", "g", 0).await.unwrap().is_empty(),
            "sweep dropped the expired session's log with it"
        );
    }
    assert!(store.load("kept").await.unwrap().is_some());
    assert_eq!(store.list().await.unwrap(), vec!["kept".to_owned()]);
});

store_test!(
    event_ids_increase_across_streams_and_reads_stay_on_one_stream,
    10,
    |store| {
        let a1 = store.append("s", "r1", "one", false).await.unwrap();
        let b1 = store.append("s", "r2", "other", false).await.unwrap();
        let a2 = store.append("s", "r1", "two", true).await.unwrap();
        assert!(a1 < b1 && b1 < a2, "{a1} < {b1} < {a2}");
        let r1 = store.read_after("s", "r1", 0).await.unwrap();
        assert_eq!(
            r1.iter()
                .map(|e| (e.seq, e.stream.as_str(), e.data.as_str(), e.is_last))
                .collect::<Vec<_>>(),
            [(a1, "r1", "one", false), (a2, "r1", "two", true)]
        );
        let after_a1 = store.read_after("s", "r1", a1).await.unwrap();
        assert_eq!(
            after_a1.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [a2],
            "only what follows a1"
        );
        assert!(
            store.read_after("s", "r1", a2).await.unwrap().is_empty(),
            "nothing after the last"
        );
        assert!(
            store.read_after("t", "r1", 0).await.unwrap().is_empty(),
            "never another session's"
        );
        let other = store.append("t", "r1", "t's", false).await.unwrap();
        assert_eq!(
            store
                .read_after("t", "r1", 0)
                .await
                .unwrap()
                .iter()
                .map(|e| (e.seq, e.data.as_str()))
                .collect::<Vec<_>>(),
            [(other, "t's")]
        );
        assert_eq!(
            store.read_after("s", "r1", 0).await.unwrap().len(),
            2,
            "another session's append stays out of this one's log"
        );
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
        let announced = within("announcement of the append", events.next()).await;
        assert_eq!(announced.as_deref(), Some("r7"));
        store.publish("topic", "hello").await.unwrap();
        let to_a = within("publication to the first subscriber", a.next()).await;
        assert_eq!(to_a.as_deref(), Some("hello"));
        let to_b = within("publication to the second subscriber", b.next()).await;
        assert_eq!(to_b.as_deref(), Some("hello"));
        drop(a);
        store.publish("topic", "again").await.unwrap();
        let to_b = within("publication to the remaining subscriber", b.next()).await;
        assert_eq!(to_b.as_deref(), Some("again"));
        store.publish("nobody-listens", "lost").await.unwrap();
        store.append("s", "r8", "y", false).await.unwrap();
        let announced = within("announcement of the second append", events.next()).await;
        assert_eq!(
            announced.as_deref(),
            Some("r8"),
            "one announcement per append, nothing else on the session's topic"
        );
        assert!(store.is_ready().await);
    }
);

#[test]
fn the_file_store_keeps_everything_across_a_reopen_and_refuses_a_second_opener() {
    let dir = RemovedOnDrop(temp_dir("reopen"));
    let _ = std::fs::remove_dir_all(&dir.0);
    smol::block_on(async {
        let store = FileStore::open(&dir.0, 10).unwrap();
        store.save("kept", "{\"n\":1}", LONG).await.unwrap();
        store
            .save("brief", "{}", Duration::from_millis(50))
            .await
            .unwrap();
        store.append("brief", "r1", "brief's", false).await.unwrap();
        let seq = store.append("kept", "r1", "event", false).await.unwrap();
        let second = FileStore::open(&dir.0, 10).expect_err("a second opener must fail");
        assert!(
            second.to_string().contains("in use by another process"),
            "{second}"
        );
        drop(store);
        async_io::Timer::after(Duration::from_millis(100)).await; // "brief" expires meanwhile
        let store =
            FileStore::open(&dir.0, 10).expect("the file is free once the store is dropped");
        assert_eq!(
            store.load("kept").await.unwrap().as_deref(),
            Some("{\"n\":1}")
        );
        assert!(
            store.read_after("brief", "r1", 0).await.unwrap().is_empty(),
            "expired ones swept at open, their logs with them"
        );
        assert_eq!(
            store.sweep().await.unwrap(),
            0,
            "open left nothing to sweep"
        );
        assert_eq!(store.list().await.unwrap(), vec!["kept".to_owned()]);
        let events = store.read_after("kept", "r1", 0).await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| (e.seq, e.data.as_str()))
                .collect::<Vec<_>>(),
            [(seq, "event")]
        );
        assert!(
            store.append("kept", "r1", "next", false).await.unwrap() > seq,
            "ids keep increasing"
        );
    });
}

store_test!(
    leases_lapse_unless_renewed_and_go_when_released,
    10,
    |store| {
        // "run:a" is taken first, so its own TTL has run out by the time "run:lapses" (taken
        // after it, with the same TTL) is seen lapsed: only the renewal can keep it past that.
        let mut ttls = SHORT_TTLS.iter();
        loop {
            let ttl = *ttls.next().expect("never three calls within 7.5 s");
            let start = Instant::now();
            store.lease("run:a", "holder-1", ttl).await.unwrap();
            store.lease("run:lapses", "holder-3", ttl).await.unwrap();
            let held = store.holder("run:a").await.unwrap();
            store.lease("run:a", "holder-1", LONG).await.unwrap();
            if start.elapsed() < ttl {
                assert_eq!(held.as_deref(), Some("holder-1"));
                break;
            }
        }
        store.lease("run:b", "holder-2", LONG).await.unwrap();
        let lapsed = || async { store.holder("run:lapses").await.unwrap().is_none() };
        eventually("a lease not renewed lapses", lapsed).await;
        assert_eq!(
            store.holder("run:a").await.unwrap().as_deref(),
            Some("holder-1"),
            "renewed"
        );
        assert_eq!(
            store.holder("run:b").await.unwrap().as_deref(),
            Some("holder-2")
        );
        store.release("run:b").await.unwrap();
        assert_eq!(store.holder("run:b").await.unwrap(), None, "released");
        assert_eq!(store.holder("run:never").await.unwrap(), None);
        store.sweep().await.unwrap();
        assert_eq!(
            store.holder("run:a").await.unwrap().as_deref(),
            Some("holder-1"),
            "sweep keeps a lease that has not lapsed"
        );
    }
);
