//! In-process publish/subscribe: the delivery of the memory and file backends, and the local
//! fan-out of the Redis backend's one subscription per topic.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::Subscription;

/// Subscribers by topic; closed ones are pruned on publish, subscribe and [`Topics::prune`].
#[derive(Debug, Default)]
pub struct Topics {
    subscribers: RefCell<HashMap<String, Vec<async_channel::Sender<String>>>>,
}

impl Topics {
    /// Hands `message` to every live subscriber of `topic`; how many got it.
    pub fn publish(&self, topic: &str, message: &str) -> usize {
        let mut all = self.subscribers.borrow_mut();
        let Some(subscribers) = all.get_mut(topic) else {
            return 0;
        };
        subscribers.retain(|tx| tx.try_send(message.to_owned()).is_ok());
        let delivered = subscribers.len();
        if delivered == 0 {
            all.remove(topic);
        }
        delivered
    }

    /// A new subscription; `true` alongside when it is the topic's first.
    pub fn subscribe(&self, topic: &str) -> (Subscription, bool) {
        let (tx, rx) = async_channel::unbounded();
        let mut all = self.subscribers.borrow_mut();
        let subscribers = all.entry(topic.to_owned()).or_default();
        subscribers.retain(|tx| !tx.is_closed());
        let is_first = subscribers.is_empty();
        subscribers.push(tx);
        (Subscription { messages: rx }, is_first)
    }

    /// Forgets dropped subscriptions; returns the topics nobody listens to any more.
    pub fn prune(&self) -> Vec<String> {
        let mut all = self.subscribers.borrow_mut();
        let mut deserted = Vec::new();
        all.retain(|topic, subs| {
            subs.retain(|tx| !tx.is_closed());
            if subs.is_empty() {
                deserted.push(topic.clone());
            }
            !subs.is_empty()
        });
        all.shrink_to_fit();
        deserted
    }
}
