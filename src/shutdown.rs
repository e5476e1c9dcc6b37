//! The drain signal: one trigger, any number of waiters, each able to check or await it.

/// Cloneable; every clone sees the trigger. Awaiting after the trigger returns at once.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: async_channel::Receiver<()>,
}

/// Owned by `main`: dropping it (or calling [`Trigger::fire`]) starts the drain.
#[derive(Debug)]
pub struct Trigger {
    _tx: async_channel::Sender<()>,
}

impl Trigger {
    /// Starts the drain.
    pub fn fire(self) {}
}

impl Shutdown {
    /// A new signal and the trigger that fires it.
    pub fn new() -> (Trigger, Shutdown) {
        let (tx, rx) = async_channel::bounded(1);
        (Trigger { _tx: tx }, Shutdown { rx })
    }

    /// Whether the drain has started.
    pub fn is_draining(&self) -> bool {
        self.rx.is_closed()
    }

    /// Resolves when the drain starts.
    pub async fn wait(&self) {
        let _ = self.rx.recv().await;
    }
}
