//! When a digest edition is due.
//!
//! A schedule names recurring *slots* in the publication's own time zone
//! ("daily at 08:00 Europe/London"). `run` makes an edition when the latest
//! slot at or before now is newer than the slot of the last edition. Only the
//! latest slot counts, so a machine that was off for a week catches up once,
//! not seven times. Slots are computed in local time and then converted, so
//! "08:00" stays 08:00 across DST changes.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    /// On the given weekday.
    Weekly(Weekday),
    /// On the given day of the month (clamped to the month's last day).
    Monthly(u32),
    /// Only when `newsdesk digest` is run by hand.
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub frequency: Frequency,
    pub at: NaiveTime,
    pub timezone: Tz,
}

impl Schedule {
    /// Builds a schedule from config strings; errors name the key.
    pub fn from_parts(
        frequency: &str,
        at: &str,
        weekday: &str,
        day_of_month: u32,
        timezone: &str,
    ) -> Result<Schedule, String> {
        let tz: Tz = timezone
            .parse()
            .map_err(|_| format!("digest.timezone: unknown time zone {timezone:?} (use an IANA name such as \"Europe/London\")"))?;
        let at = NaiveTime::parse_from_str(at, "%H:%M")
            .map_err(|_| format!("digest.at: {at:?} is not a time of day like \"08:00\""))?;
        let frequency = match frequency {
            "daily" => Frequency::Daily,
            "weekly" => Frequency::Weekly(weekday.parse::<Weekday>().map_err(|_| {
                format!("digest.weekday: {weekday:?} is not a weekday like \"monday\"")
            })?),
            "monthly" => {
                if !(1..=31).contains(&day_of_month) {
                    return Err(format!(
                        "digest.day_of_month: {day_of_month} is not between 1 and 31"
                    ));
                }
                Frequency::Monthly(day_of_month)
            }
            "manual" => Frequency::Manual,
            other => {
                return Err(format!(
                    "digest.schedule: {other:?} is not one of \"daily\", \"weekly\", \"monthly\", \"manual\""
                ));
            }
        };
        Ok(Schedule {
            frequency,
            at,
            timezone: tz,
        })
    }

    /// The most recent slot at or before `now`; `None` for manual schedules.
    pub fn latest_slot(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_today = now.with_timezone(&self.timezone).date_naive();
        // Walk back day by day (at most a month and a bit) to the newest
        // matching date whose slot is not in the future.
        (0..=62)
            .map(|back| local_today - Duration::days(back))
            .filter(|d| self.matches(*d))
            .map(|d| self.slot_on(d))
            .find(|slot| *slot <= now)
    }

    /// Whether an edition is due now, given the slot the last one was made for.
    pub fn due(
        &self,
        now: DateTime<Utc>,
        last_slot: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let slot = self.latest_slot(now)?;
        match last_slot {
            Some(last) if last >= slot => None,
            _ => Some(slot),
        }
    }

    fn matches(&self, d: NaiveDate) -> bool {
        match self.frequency {
            Frequency::Daily => true,
            Frequency::Weekly(w) => d.weekday() == w,
            Frequency::Monthly(day) => d.day() == day.min(last_day_of_month(d)),
            Frequency::Manual => false,
        }
    }

    /// The instant of the slot on local date `d`. A time that does not exist
    /// (spring-forward gap) moves to the first instant after the gap; an
    /// ambiguous one (fall-back) takes the earlier of the two.
    fn slot_on(&self, d: NaiveDate) -> DateTime<Utc> {
        let local = NaiveDateTime::new(d, self.at);
        let mut probe = local;
        for _ in 0..4 {
            if let Some(t) = self.timezone.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&Utc);
            }
            probe += Duration::minutes(30);
        }
        // No zone has a gap longer than two hours; fall back to UTC reading.
        Utc.from_utc_datetime(&local)
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .map(|first| (first - Duration::days(1)).day())
        .unwrap_or(28)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn daily_london() -> Schedule {
        Schedule::from_parts("daily", "08:00", "monday", 1, "Europe/London").unwrap()
    }

    #[test]
    fn daily_slot_is_local_time_on_both_sides_of_dst() {
        let s = daily_london();
        // Winter: 08:00 GMT = 08:00 UTC.
        assert_eq!(
            s.latest_slot(utc("2026-01-10T09:00:00Z")),
            Some(utc("2026-01-10T08:00:00Z"))
        );
        // Summer: 08:00 BST = 07:00 UTC.
        assert_eq!(
            s.latest_slot(utc("2026-07-10T07:30:00Z")),
            Some(utc("2026-07-10T07:00:00Z"))
        );
        // Day of the spring change (29 March 2026): 08:00 is already BST.
        assert_eq!(
            s.latest_slot(utc("2026-03-29T07:00:00Z")),
            Some(utc("2026-03-29T07:00:00Z"))
        );
        assert_eq!(
            s.latest_slot(utc("2026-03-29T06:59:59Z")),
            Some(utc("2026-03-28T08:00:00Z"))
        );
    }

    #[test]
    fn due_once_per_slot_and_a_missed_week_catches_up_once() {
        let s = daily_london();
        let now = utc("2026-01-10T09:00:00Z");
        let slot = s.due(now, None).unwrap();
        assert_eq!(s.due(now, Some(slot)), None, "same slot twice");
        // Off for a week: only the latest slot is due, then nothing.
        let later = utc("2026-01-17T12:00:00Z");
        let caught = s.due(later, Some(slot)).unwrap();
        assert_eq!(caught, utc("2026-01-17T08:00:00Z"));
        assert_eq!(s.due(later, Some(caught)), None);
    }

    #[test]
    fn time_in_the_spring_gap_moves_after_it() {
        let s = Schedule::from_parts("daily", "01:30", "monday", 1, "Europe/London").unwrap();
        // 01:30 does not exist on 29 March 2026 in London; it becomes 02:00 BST = 01:00 UTC.
        assert_eq!(
            s.latest_slot(utc("2026-03-29T05:00:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn weekly_and_monthly_pick_the_right_days() {
        let w = Schedule::from_parts("weekly", "08:00", "friday", 1, "UTC").unwrap();
        // 2026-01-14 is a Wednesday; the last Friday slot is 9 January.
        assert_eq!(
            w.latest_slot(utc("2026-01-14T10:00:00Z")),
            Some(utc("2026-01-09T08:00:00Z"))
        );
        let m = Schedule::from_parts("monthly", "08:00", "monday", 31, "UTC").unwrap();
        // February has no 31st: the slot is its last day.
        assert_eq!(
            m.latest_slot(utc("2026-03-05T00:00:00Z")),
            Some(utc("2026-02-28T08:00:00Z"))
        );
    }

    #[test]
    fn manual_is_never_due_and_bad_values_are_named() {
        let s = Schedule::from_parts("manual", "08:00", "monday", 1, "UTC").unwrap();
        assert_eq!(s.due(utc("2026-01-10T09:00:00Z"), None), None);
        assert!(
            Schedule::from_parts("hourly", "08:00", "monday", 1, "UTC")
                .unwrap_err()
                .contains("digest.schedule")
        );
        assert!(
            Schedule::from_parts("daily", "8am", "monday", 1, "UTC")
                .unwrap_err()
                .contains("digest.at")
        );
        assert!(
            Schedule::from_parts("daily", "08:00", "monday", 1, "Mars/Base")
                .unwrap_err()
                .contains("digest.timezone")
        );
    }
}
