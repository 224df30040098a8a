//! How long to wait between polls: short while something is changing (tasks
//! starting, a verdict near), longer while nothing is, with jitter so that
//! parallel runs against one account do not poll in lockstep.
//!
//! Waiting uses tokio's clock, so tests run it under paused time and never
//! sleep for real.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pacing {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    /// Each quiet poll multiplies the interval by this, up to `max`.
    pub(crate) growth: f64,
    /// ± this share of the interval, at random.
    pub(crate) jitter: f64,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            min: Duration::from_secs(2),
            max: Duration::from_secs(15),
            growth: 1.5,
            jitter: 0.2,
        }
    }
}

#[cfg(test)]
impl Pacing {
    /// The default pacing without jitter: for tests that count polls.
    pub(crate) fn steady() -> Self {
        Pacing {
            jitter: 0.0,
            ..Pacing::default()
        }
    }
}

/// The interval as it adapts over one watch.
#[derive(Debug)]
pub(crate) struct Pacer {
    pacing: Pacing,
    current: Duration,
    rng: fastrand::Rng,
}

impl Pacer {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Pacer {
            current: pacing.min,
            pacing,
            rng: fastrand::Rng::new(),
        }
    }

    /// The next wait: back to the minimum after a change, else longer.
    pub(crate) fn next(&mut self, changed: bool) -> Duration {
        self.current = if changed {
            self.pacing.min
        } else {
            self.current.mul_f64(self.pacing.growth).min(self.pacing.max)
        };
        let spread = (self.rng.f64() * 2.0 - 1.0) * self.pacing.jitter;
        self.current.mul_f64(1.0 + spread)
    }
}

/// Why a wait ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    Elapsed,
    Interrupted,
}

/// Sleeps `wait`, but no later than `until`, waking the moment Ctrl-C
/// arrives.
pub(crate) async fn sleep(wait: Duration, until: Instant) -> Wake {
    let end = (Instant::now() + wait).min(until);
    tokio::select! {
        _ = crate::interrupt::wait() => Wake::Interrupted,
        _ = tokio::time::sleep_until(end) => Wake::Elapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_polls_back_off_and_a_change_snaps_back() {
        let mut pacer = Pacer::new(Pacing::steady());
        assert_eq!(pacer.next(true), Duration::from_secs(2));
        assert_eq!(pacer.next(false), Duration::from_secs(3));
        assert_eq!(pacer.next(false), Duration::from_millis(4500));
        for _ in 0..10 {
            pacer.next(false);
        }
        assert_eq!(pacer.next(false), Duration::from_secs(15));
        assert_eq!(pacer.next(true), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_within_its_share() {
        let mut pacer = Pacer::new(Pacing::default());
        for _ in 0..200 {
            let d = pacer.next(true);
            assert!(
                d >= Duration::from_millis(1600) && d <= Duration::from_millis(2400),
                "{d:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_stops_at_the_deadline() {
        let start = Instant::now();
        let wake = sleep(Duration::from_secs(60), start + Duration::from_secs(5)).await;
        assert_eq!(wake, Wake::Elapsed);
        assert_eq!(start.elapsed().as_secs(), 5);
    }
}
