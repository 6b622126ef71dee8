//! A counting semaphore: every chain has its own thread (a nuts-rs chain cannot move between
//! threads, and chains wait for each other between warmup and sampling), but at most
//! `permits` of them compute at once — rayon's thread count, so `RAYON_NUM_THREADS` bounds the
//! CPU use as it does everywhere else.

use std::sync::{Condvar, Mutex};

pub(super) struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A held permit; released on drop.
pub(super) struct Permit<'g>(&'g Gate);

impl Gate {
    pub(super) fn new(permits: usize) -> Self {
        Gate {
            free: Mutex::new(permits.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a permit.
    pub(super) fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}
