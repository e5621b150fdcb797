//! Time zones as Machbase's `tz` parameter names them (reference §2.4): UTC, the server's
//! local zone, the peer's abbreviation aliases (`KST`, `GMT+9`, ...) and IANA names from the
//! system tz database. jiff reads the TZif data and answers offset lookups; the rules for
//! choosing a zone and for turning a wall time into an instant are Go's, ported here.
//!
//! Invariants:
//! - A `Zone` is immutable, `Send + Sync`, and cheap to clone (one `Arc`).
//! - IANA names are case-sensitive as in Go on Linux: `asia/seoul` is unknown even though
//!   jiff's lookup would find it.
//! - `local_to_utc` resolves DST gaps and overlaps exactly as Go's `time.Date` does.
//! - Every jiff call gets an instant within a few days of tidegate's i64 ns range, far inside
//!   jiff's own, so none can fail for a value that reaches it.

use std::fmt;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneOffsetInfo};

use super::civil::{self, Civil, SECONDS_MAX, SECONDS_MIN, SECONDS_PER_DAY};
use crate::limits::TZIF_BYTES_MAX;

/// A resolved time zone.
#[derive(Clone)]
pub struct Zone(Arc<ZoneInner>);

struct ZoneInner {
    /// The name Go's `Location.String()` gives: `UTC`, `Local`, or the IANA name loaded.
    name: Box<str>,
    tz: TimeZone,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.0.name)
    }
}

/// A `tz` value that names no zone. Display is Go's message, which the peer replies with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneError {
    /// `unknown time zone <name>`
    Unknown { name: Box<str> },
    /// Go's `LoadLocation` refuses names with `..` or a leading `/` or `\` this way.
    InvalidName,
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneError::Unknown { name } => write!(f, "unknown time zone {name}"),
            ZoneError::InvalidName => f.write_str("time: invalid location name"),
        }
    }
}

impl std::error::Error for ZoneError {}

/// The zone's offset from UTC at one instant, and its abbreviation then (`KST`, `EDT`,
/// `+09`), as Go's `Time.Zone()` gives them.
pub struct ZoneOffset<'z> {
    seconds: i32,
    info: Option<TimeZoneOffsetInfo<'z>>,
}

impl ZoneOffset<'_> {
    /// Seconds east of UTC.
    pub fn seconds(&self) -> i32 {
        self.seconds
    }

    pub fn abbreviation(&self) -> &str {
        self.info
            .as_ref()
            .map_or("UTC", TimeZoneOffsetInfo::abbreviation)
    }
}

/// Transitions looked at, back from a year after the time, to match a zone abbreviation in
/// parsed text (`MST` in a layout). Enough for a standard and a daylight name.
const ABBREVIATION_TRANSITIONS_MAX: usize = 8;

impl Zone {
    fn new(name: &str, tz: TimeZone) -> Zone {
        Zone(Arc::new(ZoneInner {
            name: name.into(),
            tz,
        }))
    }

    pub fn utc() -> Zone {
        static UTC: OnceLock<Zone> = OnceLock::new();
        UTC.get_or_init(|| Zone::new("UTC", TimeZone::UTC)).clone()
    }

    /// The server's local zone (Go's `time.Local`), resolved once per process from `TZ` and
    /// `/etc/localtime`.
    pub fn local() -> Zone {
        static LOCAL: OnceLock<Zone> = OnceLock::new();
        LOCAL
            .get_or_init(|| {
                let tz = std::env::var_os("TZ").map(|v| v.to_string_lossy().into_owned());
                Zone::local_from(tz.as_deref())
            })
            .clone()
    }

    /// Go's `initLocal` for a `TZ` value (`None` = unset): unset reads `/etc/localtime`;
    /// `:` is dropped from the front; an absolute path is read as a TZif file; another
    /// non-empty name other than `UTC` is looked up in the tz database; anything that fails,
    /// and `TZ=""`, is UTC.
    pub fn local_from(tz_env: Option<&str>) -> Zone {
        let found = match tz_env {
            None => read_tzif("/etc/localtime").map(|tz| Zone::new("Local", tz)),
            Some(value) => {
                let value = value.strip_prefix(':').unwrap_or(value);
                if value.starts_with('/') {
                    let name = if value == "/etc/localtime" {
                        "Local"
                    } else {
                        value
                    };
                    read_tzif(value).map(|tz| Zone::new(name, tz))
                } else if !value.is_empty() && value != "UTC" {
                    load_iana(value).map(|tz| Zone::new(value, tz))
                } else {
                    None
                }
            }
        };
        found.unwrap_or_else(Zone::utc)
    }

    /// Machbase's `ParseTimeLocation` for a `tz` parameter (reference §2.4).
    pub fn parse(tz: &str) -> Result<Zone, ZoneError> {
        if tz.is_empty() || tz.eq_ignore_ascii_case("utc") {
            return Ok(Zone::utc());
        }
        if tz.eq_ignore_ascii_case("local") {
            return Ok(Zone::local());
        }
        // As the peer: the first candidate of an alias that loads wins; aliases are exact-case.
        for candidate in alias_candidates(tz) {
            if let Some(found) = load_iana(candidate) {
                return Ok(Zone::new(candidate, found));
            }
        }
        if tz.contains("..") || tz.starts_with('/') || tz.starts_with('\\') {
            return Err(ZoneError::InvalidName);
        }
        load_iana(tz)
            .map(|found| Zone::new(tz, found))
            .ok_or_else(|| ZoneError::Unknown { name: tz.into() })
    }

    /// Go's `Location.String()`: the box format's header prints it (`TIME(ASIA/SEOUL)`), and
    /// tests check which zone a `tz` value resolved to.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Offset and abbreviation in effect at `ns` (UTC).
    pub fn offset_at_utc(&self, ns: i64) -> ZoneOffset<'_> {
        self.offset_at_second(ns.div_euclid(civil::NS_PER_SECOND))
    }

    fn offset_at_second(&self, second: i64) -> ZoneOffset<'_> {
        match Timestamp::from_second(second) {
            Ok(ts) => {
                let info = self.0.tz.to_offset_info(ts);
                ZoneOffset {
                    seconds: info.offset().seconds(),
                    info: Some(info),
                }
            }
            // Unreachable for the instants callers pass (see the module invariants).
            Err(_) => ZoneOffset {
                seconds: 0,
                info: None,
            },
        }
    }

    /// The instant (ns) at which clocks in this zone show `wall`; `None` outside i64 ns.
    ///
    /// Go's `time.Date`: the offset in effect at the wall time read as UTC is tried first; if
    /// the instant it gives is not in that offset's period, the offset at that instant is
    /// used. In a gap (spring forward) this is the offset after the transition in zones west
    /// of UTC (02:30 in New York on 2021-03-14 is 06:30Z) and the one before it east of UTC
    /// (02:30 in Berlin on 2021-03-28 is 01:30Z); in an overlap it is the first occurrence
    /// west of UTC and the second east of it. No fixed rule (jiff's `Disambiguation`) says
    /// that, so the lookups are Go's.
    pub fn local_to_utc(&self, wall: &Civil) -> Option<i64> {
        let local_s = wall.seconds_as_utc();
        if !(SECONDS_MIN - 2 * SECONDS_PER_DAY..=SECONDS_MAX + 2 * SECONDS_PER_DAY)
            .contains(&local_s)
        {
            return None;
        }
        let mut offset = self.offset_at_second(local_s).seconds;
        if offset != 0 {
            // Equal to Go's range check: inside the period the lookup gives the same offset.
            offset = self.offset_at_second(local_s - i64::from(offset)).seconds;
        }
        civil::ns_from_parts(local_s - i64::from(offset), wall.nanosecond)
    }

    /// Go's `Location.lookupName` for a zone abbreviation read from text, at the wall time
    /// `local_s` (seconds, read as UTC): first an abbreviation that is in effect at that time,
    /// else any offset this zone used under that name. Go scans every zone type of the TZif
    /// data; this scans the types in effect within a year around the time (simplified: an
    /// abbreviation used only decades away, like Seoul's `KDT` of 1988, is not found).
    pub(crate) fn offset_for_abbreviation(&self, abbreviation: &str, local_s: i64) -> Option<i32> {
        if !(SECONDS_MIN - 2 * SECONDS_PER_DAY..=SECONDS_MAX + 2 * SECONDS_PER_DAY)
            .contains(&local_s)
        {
            return None;
        }
        let mut any_time: Option<i32> = None;
        let mut check = |offset: i32| -> Option<i32> {
            let then = self.offset_at_second(local_s - i64::from(offset));
            if then.abbreviation() == abbreviation {
                return Some(then.seconds);
            }
            any_time.get_or_insert(offset);
            None
        };
        let now = self.offset_at_second(local_s);
        if now.abbreviation() == abbreviation
            && let Some(found) = check(now.seconds)
        {
            return Some(found);
        }
        let year_later = Timestamp::from_second(local_s + 366 * SECONDS_PER_DAY).ok()?;
        for transition in self
            .0
            .tz
            .preceding(year_later)
            .take(ABBREVIATION_TRANSITIONS_MAX)
        {
            if transition.abbreviation() == abbreviation
                && let Some(found) = check(transition.offset().seconds())
            {
                return Some(found);
            }
        }
        any_time
    }
}

/// An IANA zone from the system database, by its exact (case-sensitive) name.
fn load_iana(name: &str) -> Option<TimeZone> {
    let found = jiff::tz::db().get(name).ok()?;
    (found.iana_name() == Some(name)).then_some(found)
}

/// A TZif file, at most `TZIF_BYTES_MAX` bytes.
fn read_tzif(path: &str) -> Option<TimeZone> {
    let file = std::fs::File::open(path).ok()?;
    let mut data = Vec::new();
    file.take(TZIF_BYTES_MAX + 1).read_to_end(&mut data).ok()?;
    if data.len() as u64 > TZIF_BYTES_MAX {
        return None;
    }
    TimeZone::tzif(path, &data).ok()
}

/// The zones the peer tries for an abbreviation, first that loads wins (reference §2.4,
/// `mods/util/time_locations.go`). `GMT±N` inverts the sign as the `Etc/` names require.
/// Kept: the peer's first candidates in its order (its lists go on with further zones of the
/// same offset, which matter only when the first ones are missing from the tz database).
/// The peer's `UTC` entry is unreachable, as `utc` in any case is UTC before the aliases.
fn alias_candidates(name: &str) -> Vec<&'static str> {
    if let Some(etc) = gmt_alias(name) {
        return vec![etc];
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, zones)| zones.to_vec())
        .unwrap_or_default()
}

/// `GMT+1`..`GMT+14` and `GMT-1`..`GMT-12` as `Etc/GMT-N` / `Etc/GMT+N` (POSIX signs).
fn gmt_alias(name: &str) -> Option<&'static str> {
    const EAST: [&str; 14] = [
        "Etc/GMT-1",
        "Etc/GMT-2",
        "Etc/GMT-3",
        "Etc/GMT-4",
        "Etc/GMT-5",
        "Etc/GMT-6",
        "Etc/GMT-7",
        "Etc/GMT-8",
        "Etc/GMT-9",
        "Etc/GMT-10",
        "Etc/GMT-11",
        "Etc/GMT-12",
        "Etc/GMT-13",
        "Etc/GMT-14",
    ];
    const WEST: [&str; 12] = [
        "Etc/GMT+1",
        "Etc/GMT+2",
        "Etc/GMT+3",
        "Etc/GMT+4",
        "Etc/GMT+5",
        "Etc/GMT+6",
        "Etc/GMT+7",
        "Etc/GMT+8",
        "Etc/GMT+9",
        "Etc/GMT+10",
        "Etc/GMT+11",
        "Etc/GMT+12",
    ];
    let rest = name.strip_prefix("GMT")?;
    let (table, digits): (&[&str], &str) = if let Some(d) = rest.strip_prefix('+') {
        (&EAST, d)
    } else {
        (&WEST, rest.strip_prefix('-')?)
    };
    // Exactly the peer's keys: no leading zero, no sign inside.
    if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: usize = digits.parse().ok()?;
    table.get(hours.checked_sub(1)?).copied()
}

/// Abbreviation → candidate zones, from the peer's table.
const ALIASES: &[(&str, &[&str])] = &[
    ("GMT", &["Africa/Abidjan", "Etc/GMT"]),
    ("GHST", &["Africa/Accra"]),
    ("EAT", &["Africa/Addis_Ababa", "Africa/Nairobi"]),
    ("CET", &["Africa/Algiers", "Africa/Ceuta"]),
    ("WAT", &["Africa/Bangui", "Africa/Lagos"]),
    ("CAT", &["Africa/Blantyre", "Africa/Maputo"]),
    ("EET", &["Africa/Cairo", "Africa/Tripoli"]),
    ("EEST", &["Africa/Cairo", "Asia/Amman"]),
    ("WET", &["Africa/Casablanca", "Africa/El_Aaiun"]),
    ("WEST", &["Africa/Casablanca", "Africa/El_Aaiun"]),
    ("CEST", &["Africa/Ceuta", "Africa/Tunis"]),
    ("SAST", &["Africa/Johannesburg"]),
    ("CAST", &["Africa/Khartoum"]),
    ("HAT", &["America/Adak"]),
    ("HAST", &["America/Adak"]),
    ("HADT", &["America/Adak"]),
    ("AKT", &["America/Anchorage"]),
    ("AKST", &["America/Anchorage"]),
    ("AKDT", &["America/Anchorage"]),
    ("AT", &["America/Anguilla", "America/Puerto_Rico"]),
    ("AST", &["America/Anguilla", "America/Puerto_Rico"]),
    ("BRT", &["America/Araguaina", "America/Sao_Paulo"]),
    ("BRST", &["America/Araguaina", "America/Sao_Paulo"]),
    ("ART", &["America/Argentina/Buenos_Aires"]),
    ("ARST", &["America/Argentina/Buenos_Aires"]),
    ("PYT", &["America/Asuncion"]),
    ("PYST", &["America/Asuncion"]),
    ("ET", &["America/Atikokan", "America/Panama"]),
    ("EST", &["America/Atikokan", "America/Panama"]),
    ("CT", &["America/Bahia_Banderas", "America/Chicago"]),
    ("CST", &["America/Bahia_Banderas", "America/Chicago"]),
    ("CDT", &["America/Bahia_Banderas", "America/Chicago"]),
    ("ADT", &["America/Barbados", "America/Halifax"]),
    ("AMT", &["America/Boa_Vista", "America/Manaus"]),
    ("AMST", &["America/Boa_Vista", "America/Manaus"]),
    ("COT", &["America/Bogota"]),
    ("COST", &["America/Bogota"]),
    ("MT", &["America/Boise", "America/Denver"]),
    ("MST", &["America/Boise", "America/Denver"]),
    ("MDT", &["America/Boise", "America/Denver"]),
    ("VET", &["America/Caracas"]),
    ("GFT", &["America/Cayenne"]),
    ("PT", &["America/Dawson", "America/Los_Angeles"]),
    ("PST", &["America/Dawson", "America/Los_Angeles"]),
    ("EDT", &["America/Detroit", "America/New_York"]),
    ("ACT", &["America/Eirunepe", "America/Rio_Branco"]),
    ("ACST", &["America/Eirunepe", "America/Rio_Branco"]),
    ("PDT", &["America/Ensenada", "America/Los_Angeles"]),
    ("WGT", &["America/Godthab", "America/Nuuk"]),
    ("WGST", &["America/Godthab", "America/Nuuk"]),
    ("ECT", &["America/Guayaquil"]),
    ("GYT", &["America/Guyana"]),
    ("BOT", &["America/La_Paz"]),
    ("BST", &["America/La_Paz", "Europe/London"]),
    ("PET", &["America/Lima"]),
    ("PEST", &["America/Lima"]),
    ("PMST", &["America/Miquelon"]),
    ("PMDT", &["America/Miquelon"]),
    ("UYT", &["America/Montevideo"]),
    ("UYST", &["America/Montevideo"]),
    ("FNT", &["America/Noronha"]),
    ("FNST", &["America/Noronha"]),
    ("SRT", &["America/Paramaribo"]),
    ("CLT", &["America/Punta_Arenas", "America/Santiago"]),
    ("CLST", &["America/Santiago"]),
    ("EHDT", &["America/Santo_Domingo"]),
    ("EGT", &["America/Scoresbysund"]),
    ("EGST", &["America/Scoresbysund"]),
    ("NT", &["America/St_Johns"]),
    ("NST", &["America/St_Johns"]),
    ("NDT", &["America/St_Johns"]),
    ("AWT", &["Antarctica/Casey", "Australia/Perth"]),
    ("AWST", &["Antarctica/Casey", "Australia/Perth"]),
    ("DAVT", &["Antarctica/Davis"]),
    ("DDUT", &["Antarctica/DumontDUrville"]),
    ("MIST", &["Antarctica/Macquarie"]),
    ("MAWT", &["Antarctica/Mawson"]),
    ("NZT", &["Antarctica/McMurdo", "Pacific/Auckland"]),
    ("NZST", &["Antarctica/McMurdo", "Pacific/Auckland"]),
    ("NZDT", &["Antarctica/McMurdo", "Pacific/Auckland"]),
    ("ROTT", &["Antarctica/Palmer", "Antarctica/Rothera"]),
    ("SYOT", &["Antarctica/Syowa"]),
    ("VOST", &["Antarctica/Vostok"]),
    ("ALMT", &["Asia/Almaty", "Asia/Qostanay"]),
    ("ALMST", &["Asia/Almaty"]),
    ("ANAT", &["Asia/Anadyr"]),
    ("AQTT", &["Asia/Aqtau", "Asia/Aqtobe"]),
    ("AQTST", &["Asia/Aqtobe"]),
    ("TMT", &["Asia/Ashgabat"]),
    ("AZT", &["Asia/Baku"]),
    ("AZST", &["Asia/Baku"]),
    ("ICT", &["Asia/Bangkok", "Asia/Ho_Chi_Minh"]),
    ("KRAT", &["Asia/Barnaul", "Asia/Krasnoyarsk"]),
    ("KGT", &["Asia/Bishkek"]),
    ("BNT", &["Asia/Brunei"]),
    ("IST", &["Asia/Calcutta", "Asia/Colombo", "Asia/Kolkata"]),
    ("YAKT", &["Asia/Chita", "Asia/Yakutsk"]),
    ("YAKST", &["Asia/Chita", "Asia/Yakutsk"]),
    ("CHOT", &["Asia/Choibalsan"]),
    ("CHOST", &["Asia/Choibalsan"]),
    ("BDT", &["Asia/Dacca", "Asia/Dhaka"]),
    ("BDST", &["Asia/Dacca", "Asia/Dhaka"]),
    ("TLT", &["Asia/Dili"]),
    ("GST", &["Asia/Dubai", "Asia/Muscat"]),
    ("TJT", &["Asia/Dushanbe"]),
    ("TSD", &["Asia/Dushanbe"]),
    ("HKT", &["Asia/Hong_Kong"]),
    ("HKST", &["Asia/Hong_Kong"]),
    ("HOVT", &["Asia/Hovd"]),
    ("HOVST", &["Asia/Hovd"]),
    ("IRKT", &["Asia/Irkutsk"]),
    ("IRKST", &["Asia/Irkutsk"]),
    ("TRT", &["Asia/Istanbul", "Europe/Istanbul"]),
    ("WIB", &["Asia/Jakarta"]),
    ("WIT", &["Asia/Jayapura"]),
    ("IDT", &["Asia/Jerusalem"]),
    ("AFT", &["Asia/Kabul"]),
    ("PETT", &["Asia/Kamchatka"]),
    ("PKT", &["Asia/Karachi"]),
    ("PKST", &["Asia/Karachi"]),
    ("NPT", &["Asia/Kathmandu"]),
    ("KRAST", &["Asia/Krasnoyarsk"]),
    ("MYT", &["Asia/Kuala_Lumpur"]),
    ("MLAST", &["Asia/Kuala_Lumpur"]),
    ("BORTST", &["Asia/Kuching"]),
    ("MAGT", &["Asia/Magadan"]),
    ("MAGST", &["Asia/Magadan"]),
    ("WITA", &["Asia/Makassar"]),
    ("PHT", &["Asia/Manila"]),
    ("PHST", &["Asia/Manila"]),
    ("NOVT", &["Asia/Novosibirsk"]),
    ("OMST", &["Asia/Omsk"]),
    ("OMSST", &["Asia/Omsk"]),
    ("ORAT", &["Asia/Oral"]),
    ("KT", &["Asia/Seoul"]),
    ("KST", &["Asia/Seoul"]),
    ("KDT", &["Asia/Seoul"]),
    ("QYZT", &["Asia/Qyzylorda"]),
    ("QYZST", &["Asia/Qyzylorda"]),
    ("MMT", &["Asia/Rangoon", "Asia/Yangon"]),
    ("SAKT", &["Asia/Sakhalin"]),
    ("UZT", &["Asia/Samarkand"]),
    ("UZST", &["Asia/Samarkand"]),
    ("SGT", &["Asia/Singapore"]),
    ("MALST", &["Asia/Singapore"]),
    ("SRET", &["Asia/Srednekolymsk"]),
    ("GET", &["Asia/Tbilisi"]),
    ("IRST", &["Asia/Tehran"]),
    ("IRDT", &["Asia/Tehran"]),
    ("BTT", &["Asia/Thimbu", "Asia/Thimphu"]),
    ("JST", &["Asia/Tokyo"]),
    ("JDT", &["Asia/Tokyo"]),
    ("ULAT", &["Asia/Ulaanbaatar"]),
    ("ULAST", &["Asia/Ulaanbaatar"]),
    ("VLAT", &["Asia/Ust-Nera", "Asia/Vladivostok"]),
    ("VLAST", &["Asia/Ust-Nera", "Asia/Vladivostok"]),
    ("YEKT", &["Asia/Yekaterinburg"]),
    ("YEKST", &["Asia/Yekaterinburg"]),
    ("AZOT", &["Atlantic/Azores"]),
    ("AZOST", &["Atlantic/Azores"]),
    ("CVT", &["Atlantic/Cape_Verde"]),
    ("FKT", &["Atlantic/Stanley"]),
    ("AET", &["Australia/ACT", "Australia/Sydney"]),
    ("AEST", &["Australia/ACT", "Australia/Sydney"]),
    ("AEDT", &["Australia/ACT", "Australia/Sydney"]),
    ("ACDT", &["Australia/Adelaide"]),
    ("ACWT", &["Australia/Eucla"]),
    ("ACWST", &["Australia/Eucla"]),
    ("ACWDT", &["Australia/Eucla"]),
    ("LHT", &["Australia/LHI", "Australia/Lord_Howe"]),
    ("LHST", &["Australia/LHI", "Australia/Lord_Howe"]),
    ("LHDT", &["Australia/LHI", "Australia/Lord_Howe"]),
    ("AWDT", &["Australia/Perth"]),
    ("EAST", &["Chile/EasterIsland", "Pacific/Easter"]),
    ("EASST", &["Chile/EasterIsland", "Pacific/Easter"]),
    ("SAMT", &["Europe/Astrakhan", "Europe/Samara"]),
    ("MSK", &["Europe/Kirov", "Europe/Moscow"]),
    ("MSD", &["Europe/Kirov", "Europe/Moscow"]),
    ("GMT+04:00", &["Europe/Saratov"]),
    ("VOLT", &["Europe/Volgograd"]),
    ("-00", &["Factory"]),
    ("IOT", &["Indian/Chagos"]),
    ("CXT", &["Indian/Christmas"]),
    ("CCT", &["Indian/Cocos"]),
    ("TFT", &["Indian/Kerguelen"]),
    ("SCT", &["Indian/Mahe"]),
    ("MVT", &["Indian/Maldives"]),
    ("MUT", &["Indian/Mauritius"]),
    ("MUST", &["Indian/Mauritius"]),
    ("RET", &["Indian/Reunion"]),
    ("IRT", &["Iran"]),
    ("MHT", &["Kwajalein", "Pacific/Kwajalein"]),
    ("MET", &["MET"]),
    ("MEST", &["MET"]),
    ("CHAT", &["NZ-CHAT", "Pacific/Chatham"]),
    ("CHAST", &["NZ-CHAT", "Pacific/Chatham"]),
    ("CHADT", &["NZ-CHAT", "Pacific/Chatham"]),
    ("WST", &["Pacific/Apia"]),
    ("WSDT", &["Pacific/Apia"]),
    ("CHUT", &["Pacific/Chuuk"]),
    ("VUT", &["Pacific/Efate"]),
    ("VUST", &["Pacific/Efate"]),
    ("PHOT", &["Pacific/Enderbury"]),
    ("TKT", &["Pacific/Fakaofo"]),
    ("FJT", &["Pacific/Fiji"]),
    ("FJST", &["Pacific/Fiji"]),
    ("TVT", &["Pacific/Funafuti"]),
    ("GALT", &["Pacific/Galapagos"]),
    ("GAMT", &["Pacific/Gambier"]),
    ("SBT", &["Pacific/Guadalcanal"]),
    ("ChST", &["Pacific/Guam"]),
    ("GDT", &["Pacific/Guam"]),
    ("LINT", &["Pacific/Kiritimati"]),
    ("KOST", &["Pacific/Kosrae"]),
    ("MART", &["Pacific/Marquesas"]),
    ("SST", &["Pacific/Midway", "Pacific/Pago_Pago"]),
    ("NRT", &["Pacific/Nauru"]),
    ("NUT", &["Pacific/Niue"]),
    ("NFT", &["Pacific/Norfolk"]),
    ("NFDT", &["Pacific/Norfolk"]),
    ("NCT", &["Pacific/Noumea"]),
    ("NCST", &["Pacific/Noumea"]),
    ("PWT", &["Pacific/Palau"]),
    ("PONT", &["Pacific/Pohnpei"]),
    ("PGT", &["Pacific/Port_Moresby"]),
    ("CKT", &["Pacific/Rarotonga"]),
    ("CKHST", &["Pacific/Rarotonga"]),
    ("TAHT", &["Pacific/Tahiti"]),
    ("GILT", &["Pacific/Tarawa"]),
    ("TOT", &["Pacific/Tongatapu"]),
    ("TOST", &["Pacific/Tongatapu"]),
    ("WAKT", &["Pacific/Wake"]),
    ("WFT", &["Pacific/Wallis"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    /// `2021-03-14T06:30:00Z`-style text → ns.
    fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> i64 {
        Civil::new(y, mo, d, h, mi, 0, 0).unwrap().seconds_as_utc() * S
    }

    fn wall(zone: &Zone, y: i32, mo: u8, d: u8, h: u8, mi: u8) -> i64 {
        zone.local_to_utc(&Civil::new(y, mo, d, h, mi, 0, 0).unwrap())
            .unwrap()
    }

    fn offset(zone: &Zone, ns: i64) -> (i32, String) {
        let o = zone.offset_at_utc(ns);
        (o.seconds(), o.abbreviation().to_owned())
    }

    #[test]
    fn zone_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Zone>();
        assert_eq!(size_of::<Zone>(), size_of::<usize>());
    }

    #[test]
    fn utc_spellings() {
        for tz in ["", "UTC", "utc", "Utc"] {
            let z = Zone::parse(tz).unwrap();
            assert_eq!(z.name(), "UTC", "{tz:?}");
            assert_eq!(offset(&z, 0), (0, "UTC".into()));
        }
    }

    #[test]
    fn iana_names_are_case_sensitive() {
        let seoul = Zone::parse("Asia/Seoul").unwrap();
        assert_eq!(seoul.name(), "Asia/Seoul");
        assert_eq!(offset(&seoul, 0), (9 * 3600, "KST".into()));
        assert_eq!(
            Zone::parse("asia/seoul").unwrap_err().to_string(),
            "unknown time zone asia/seoul"
        );
    }

    #[test]
    fn err_unknown_zone_text() {
        for tz in [
            "Mars/Olympus",
            "UTC+9",
            "KST9",
            "gmt+9",
            "GMT+15",
            "GMT-13",
            "GMT+09",
        ] {
            assert_eq!(
                Zone::parse(tz).unwrap_err().to_string(),
                format!("unknown time zone {tz}")
            );
        }
        assert_eq!(
            Zone::parse("../etc/passwd").unwrap_err().to_string(),
            "time: invalid location name"
        );
        assert_eq!(
            Zone::parse("/etc/localtime").unwrap_err().to_string(),
            "time: invalid location name"
        );
    }

    #[test]
    fn aliases_kst_jst_gmt_offsets() {
        let kst = Zone::parse("KST").unwrap();
        assert_eq!(kst.name(), "Asia/Seoul");
        assert_eq!(offset(&kst, 0).0, 9 * 3600);
        assert_eq!(Zone::parse("JST").unwrap().name(), "Asia/Tokyo");
        let gmt9 = Zone::parse("GMT+9").unwrap();
        assert_eq!(gmt9.name(), "Etc/GMT-9");
        assert_eq!(offset(&gmt9, 0), (9 * 3600, "+09".into()));
        let gmt_5 = Zone::parse("GMT-5").unwrap();
        assert_eq!(gmt_5.name(), "Etc/GMT+5");
        assert_eq!(offset(&gmt_5, 0).0, -5 * 3600);
        assert_eq!(Zone::parse("GMT+14").unwrap().name(), "Etc/GMT-14");
        assert_eq!(Zone::parse("GMT-12").unwrap().name(), "Etc/GMT+12");
        // The peer's first candidates, even where users expect another zone.
        assert_eq!(Zone::parse("EST").unwrap().name(), "America/Atikokan");
        assert_eq!(Zone::parse("CST").unwrap().name(), "America/Bahia_Banderas");
        assert_eq!(Zone::parse("PST").unwrap().name(), "America/Dawson");
        assert_eq!(Zone::parse("CET").unwrap().name(), "Africa/Algiers");
        assert_eq!(Zone::parse("GMT").unwrap().name(), "Africa/Abidjan");
        assert!(Zone::parse("kst").is_err(), "aliases are exact-case");
    }

    #[test]
    fn every_alias_loads_some_zone() {
        for (alias, _) in ALIASES {
            assert!(Zone::parse(alias).is_ok(), "{alias}");
        }
    }

    #[test]
    fn dst_offsets_and_abbreviations() {
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(
            offset(&ny, utc(2023, 2, 14, 15, 39)),
            (-5 * 3600, "EST".into())
        );
        assert_eq!(
            offset(&ny, utc(2023, 7, 14, 15, 39)),
            (-4 * 3600, "EDT".into())
        );
        // The instant of the change: 2021-03-14 07:00Z is 03:00 EDT.
        assert_eq!(offset(&ny, utc(2021, 3, 14, 7, 0) - 1).0, -5 * 3600);
        assert_eq!(offset(&ny, utc(2021, 3, 14, 7, 0)).0, -4 * 3600);
    }

    #[test]
    fn dst_gap_and_overlap_west_of_utc_as_go() {
        let ny = Zone::parse("America/New_York").unwrap();
        // Gap: 02:30 does not exist; Go uses the offset after the change (EDT), 06:30Z.
        assert_eq!(wall(&ny, 2021, 3, 14, 2, 30), utc(2021, 3, 14, 6, 30));
        // Overlap: 01:30 happens twice; Go takes the first (EDT), 05:30Z.
        assert_eq!(wall(&ny, 2021, 11, 7, 1, 30), utc(2021, 11, 7, 5, 30));
        // Either side of them, the obvious answers.
        assert_eq!(wall(&ny, 2021, 3, 14, 1, 59), utc(2021, 3, 14, 6, 59));
        assert_eq!(wall(&ny, 2021, 3, 14, 3, 0), utc(2021, 3, 14, 7, 0));
        assert_eq!(wall(&ny, 2021, 11, 7, 2, 0), utc(2021, 11, 7, 7, 0));
    }

    #[test]
    fn dst_gap_and_overlap_east_of_utc_as_go() {
        // Go's time.Date lookups give the other choice east of UTC (module doc of zone.rs).
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // Gap 02:00-03:00 on 2021-03-28 (change at 01:00Z): 02:30 → 01:30Z (03:30 CEST).
        assert_eq!(wall(&berlin, 2021, 3, 28, 2, 30), utc(2021, 3, 28, 1, 30));
        // Overlap 02:00-03:00 on 2021-10-31 (change at 01:00Z): 02:30 → 01:30Z (second, CET).
        assert_eq!(wall(&berlin, 2021, 10, 31, 2, 30), utc(2021, 10, 31, 1, 30));
        assert_eq!(
            wall(&berlin, 2021, 10, 31, 1, 30),
            utc(2021, 10, 30, 23, 30)
        );
    }

    #[test]
    fn local_to_utc_in_fixed_zones() {
        let seoul = Zone::parse("Asia/Seoul").unwrap();
        assert_eq!(wall(&seoul, 2022, 12, 7, 2, 32), utc(2022, 12, 6, 17, 32));
        assert_eq!(
            wall(&Zone::utc(), 2022, 12, 7, 2, 32),
            utc(2022, 12, 7, 2, 32)
        );
        let late = Civil::new(2262, 4, 12, 0, 0, 0, 0).unwrap();
        assert_eq!(Zone::utc().local_to_utc(&late), None);
        assert_eq!(seoul.local_to_utc(&late), Some(utc(2262, 4, 11, 15, 0)));
        let early = Civil::new(1, 1, 1, 0, 0, 0, 0).unwrap();
        assert_eq!(seoul.local_to_utc(&early), None);
    }

    #[test]
    fn local_zone_from_tz_values() {
        assert_eq!(Zone::local_from(Some("")).name(), "UTC");
        assert_eq!(Zone::local_from(Some("UTC")).name(), "UTC");
        assert_eq!(Zone::local_from(Some("Nowhere/Bogus")).name(), "UTC");
        let seoul = Zone::local_from(Some("Asia/Seoul"));
        assert_eq!(offset(&seoul, 0).0, 9 * 3600);
        let ny = Zone::local_from(Some(":America/New_York"));
        assert_eq!(offset(&ny, utc(2023, 2, 14, 0, 0)).0, -5 * 3600);
        let tokyo = Zone::local_from(Some("/usr/share/zoneinfo/Asia/Tokyo"));
        assert_eq!(tokyo.name(), "/usr/share/zoneinfo/Asia/Tokyo");
        assert_eq!(offset(&tokyo, 0), (9 * 3600, "JST".into()));
        assert_eq!(Zone::local_from(Some("/nonexistent/zone")).name(), "UTC");
        assert_eq!(
            Zone::local_from(Some("/etc/hostname")).name(),
            "UTC",
            "not TZif"
        );
        // `local` in any case is the process's local zone, whatever it is here.
        assert_eq!(Zone::parse("LOCAL").unwrap().name(), Zone::local().name());
    }

    #[test]
    fn abbreviations_found_near_the_time() {
        let ny = Zone::parse("America/New_York").unwrap();
        let winter = Civil::new(2023, 1, 10, 12, 0, 0, 0)
            .unwrap()
            .seconds_as_utc();
        assert_eq!(ny.offset_for_abbreviation("EST", winter), Some(-5 * 3600));
        // Not in effect in January, but a name this zone uses: its offset.
        assert_eq!(ny.offset_for_abbreviation("EDT", winter), Some(-4 * 3600));
        assert_eq!(ny.offset_for_abbreviation("KST", winter), None);
        let seoul = Zone::parse("Asia/Seoul").unwrap();
        assert_eq!(seoul.offset_for_abbreviation("KST", winter), Some(9 * 3600));
        assert_eq!(Zone::utc().offset_for_abbreviation("GMT", winter), None);
    }
}
