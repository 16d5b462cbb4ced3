//! fail2ban's `strptime` module: the regular expression each `%` field of a date pattern stands
//! for (`timeRE`, Python's `_strptime.TimeRE` in the C locale with fail2ban's changes), and the
//! conversion of the fields a date template captured into a Unix time (`reGroupDictStrptime`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, Local, NaiveDate, NaiveDateTime, TimeZone};

const TZ_ABBR_RE: &str = r"[A-Z](?:[A-Z]{2,4})?";

/// `timeRE` as `fail2ban-regex` has it (the years `%ExY` accepts follow the current year).
pub static TIME_RE: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
    let mut t: HashMap<&'static str, String> = [
        ("%", "%"),
        ("A", "(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)"),
        ("B", "(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)"),
        ("ExH", r"(?P<H>[0-1]\d|2[0-3])"),
        ("ExM", r"(?P<M>[0-5]\d)"),
        ("ExS", r"(?P<S>[0-5]\d|6[0-1])"),
        ("Exd", r"(?P<d>[1-2]\d|0[1-9]|3[0-1])"),
        ("Exk", r" ?(?P<H>[0-1]?\d|2[0-3])"),
        ("Exl", r" ?(?P<I>1[0-2]|\d)"),
        ("Exm", r"(?P<m>0[1-9]|1[0-2])"),
        ("Exy", r"(?P<y>\d{2})"),
        ("G", r"(?P<G>\d\d\d\d)"),
        ("H", r"(?P<H>[0-1]?\d|2[0-3])"),
        ("I", r"(?P<I>1[0-2]|0[1-9]|[1-9])"),
        ("M", r"(?P<M>[0-5]?\d)"),
        ("S", r"(?P<S>[0-5]?\d|6[0-1])"),
        ("U", r"(?P<U>5[0-3]|[0-4]\d|\d)"),
        ("V", r"(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)"),
        ("W", r"(?P<W>5[0-3]|[0-4]\d|\d)"),
        ("X", r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)"),
        ("Y", r"(?P<Y>\d{4})"),
        ("Z", r"(?P<Z>Z|[A-Z]{3,5})"),
        ("a", "(?P<a>mon|tue|wed|thu|fri|sat|sun)"),
        ("b", "(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"),
        ("c", r"(?P<a>mon|tue|wed|thu|fri|sat|sun)\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)"),
        ("d", r"(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])"),
        ("f", r"(?P<f>[0-9]{1,6})"),
        ("j", r"(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])"),
        ("k", r" ?(?P<H>[0-2]?\d)"),
        ("l", r" ?(?P<I>1?\d)"),
        ("m", r"(?P<m>0?[1-9]|1[0-2])"),
        ("p", "(?P<p>am|pm)"),
        ("u", "(?P<u>[1-7])"),
        ("w", "(?P<w>[0-6])"),
        ("x", r"(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)"),
        ("y", r"(?P<y>\d\d)"),
        ("z", r"(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    t.insert("ExZ", format!("(?P<Z>{TZ_ABBR_RE})"));
    t.insert(
        "Exz",
        format!("(?P<z>(?:{TZ_ABBR_RE})?[+-][01]\\d(?::?\\d{{2}})?|{TZ_ABBR_RE})"),
    );
    t.insert(
        "ExY",
        format!(r"(?P<Y>{}\d)", year_century_re(Local::now().year())),
    );
    t
});

/// The names a date template's `name` gives each field (`getTimePatternRE`).
pub fn field_name(key: &str) -> String {
    let named = |k: &str| {
        Some(match k {
            "a" => "DAY",
            "A" => "DAYNAME",
            "b" => "MON",
            "B" => "MONTH",
            "d" => "Day",
            "H" => "24hour",
            "I" => "12hour",
            "j" => "Yearday",
            "m" => "Month",
            "M" => "Minute",
            "p" => "AMPM",
            "S" => "Second",
            "U" | "W" => "Yearweek",
            "w" => "Weekday",
            "y" => "Year2",
            "Y" => "Year",
            "%" => "%",
            "z" => "Zone offset",
            "f" => "Microseconds",
            "Z" => "Zone name",
            _ => return None,
        })
    };
    if let Some(name) = named(key) {
        return name.into();
    }
    if let Some(name) = key.strip_prefix("Ex").and_then(named) {
        return format!("Ex{name}");
    }
    format!("%{key}")
}

/// `_getYearCentRE` as `fail2ban-regex` calls it: the first three digits of the years from
/// last year to three years on, and of every third year from 2000 (its "alternate now", 2001,
/// minus one) up to this year.
fn year_century_re(year: i32) -> String {
    let cent = |y: i32| y.to_string()[0..3].to_owned();
    let mut set: Vec<String> = vec![cent(year - 1), cent(year + 3)];
    let mut i = -1;
    while i < year - 2001 + 1 {
        set.push(cent(2001 + i));
        i += 3;
    }
    set.sort();
    set.dedup();
    group(&set)
}

/// `grp` of `_getYearCentRE`: a common prefix taken out, the rest as an alternation or class.
fn group(set: &[String]) -> String {
    if set.len() > 1 {
        let all_same = |f: &dyn Fn(&str) -> &str| {
            let first = f(&set[0]);
            set.iter().all(|s| f(s) == first).then(|| first.to_owned())
        };
        let common = all_same(&|s: &str| &s[..s.len() - 1])
            .filter(|c| !c.is_empty())
            .or_else(|| all_same(&|s: &str| &s[..1]));
        if let Some(c) = common {
            let rest: Vec<String> = set.iter().map(|s| s[c.len()..].to_owned()).collect();
            return format!("{c}{}", group(&rest));
        }
        if set[0].len() > 1 {
            format!("(?:{})", set.join("|"))
        } else {
            format!("[{}]", set.concat())
        }
    } else {
        set.concat()
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Offsets in minutes of the zone abbreviations fail2ban knows (`TZ_STR`).
static TZ_ABBR_OFFS: LazyLock<HashMap<&'static str, i32>> = LazyLock::new(|| {
    const TZ_STR: &str = "-12 Y
-11 X NUT SST
-10 W CKT HAST HST TAHT TKT
-9 V AKST GAMT GIT HADT HNY
-8 U AKDT CIST HAY HNP PST PT
-7 T HAP HNR MST PDT
-6 S CST EAST GALT HAR HNC MDT
-5 R CDT COT EASST ECT EST ET HAC HNE PET
-4 Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT
-3 P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT
-2 O BRST FNT PMDT UYST WGST
-1 N AZOT CVT EGT
0 Z EGST GMT UTC WET WT
1 A CET DFT WAT WEDT WEST
2 B CAT CEDT CEST EET SAST WAST
3 C EAT EEDT EEST IDT MSK
4 D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT
5 E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT
6 F ALMT BIOT BTT IOT KGT NOVT OMST YEKST
7 G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB
8 H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST
9 I AWDT IRKST JST KST PWT TLT WDT WIT YAKT
10 K AEST ChST PGT VLAT YAKST YAPT
11 L AEDT LHDT MAGT NCT PONT SBT VLAST VUT
12 M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT
13 FJST NZDT
11.5 NFT
10.5 ACDT LHST
9.5 ACST
6.5 CCT MMT
5.75 NPT
5.5 SLT
4.5 AFT IRDT
3.5 IRST
-2.5 HAT NDT
-3.5 HNT NST NT
-4.5 HLV VET
-9.5 MART MIT";
    let mut map = HashMap::from([("", 0)]);
    for line in TZ_STR.lines() {
        let mut words = line.split_whitespace();
        let Some(hours) = words.next().and_then(|h| h.parse::<f64>().ok()) else {
            continue;
        };
        for zone in words {
            map.insert(zone, (hours * 60.0) as i32);
        }
    }
    map
});

static FIXED_OFFSET_TZ: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(&format!(r"^({TZ_ABBR_RE})?([+-][01]\d(?::?\d{{2}})?)?$"))
        .expect("a constant pattern")
});

/// `validateTimeZone`/`zone2offset`: a zone as fail2ban takes it (`UTC`, `CET+0100`, `-0400`,
/// an abbreviation it knows), in minutes east of UTC.
pub fn zone_offset(zone: &str) -> Result<i32, String> {
    let unknown = || format!("Unknown or unsupported time zone: {zone:?}");
    let caps = FIXED_OFFSET_TZ.captures(zone).ok_or_else(unknown)?;
    let base = *TZ_ABBR_OFFS
        .get(caps.get(1).map_or("", |m| m.as_str()))
        .ok_or_else(unknown)?;
    let Some(offset) = caps.get(2).map(|m| m.as_str()) else {
        return Ok(base);
    };
    let num = |s: &str| s.parse::<i32>().map_err(|_| unknown());
    if offset.len() <= 3 {
        return Ok(base + num(offset)? * 60);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let minutes = if offset.as_bytes()[3] != b':' {
        &offset[3..5]
    } else {
        offset.get(4..6).ok_or_else(unknown)?
    };
    Ok(base + sign * (num(&offset[1..3])? * 60 + num(minutes)?))
}

/// `_calc_julian_from_U_or_W`.
fn julian_from_week(year: i32, week: i32, weekday: i32, starts_monday: bool) -> Option<i32> {
    let mut first = NaiveDate::from_ymd_opt(year, 1, 1)?
        .weekday()
        .num_days_from_monday() as i32;
    let mut weekday = weekday;
    if !starts_monday {
        first = (first + 1) % 7;
        weekday = (weekday + 1) % 7;
    }
    let week0 = (7 - first) % 7;
    Some(if week == 0 {
        1 + weekday - first
    } else {
        1 + week0 + 7 * (week - 1) + weekday
    })
}

/// `reGroupDictStrptime`: the Unix time of the fields a date template captured (`None` where
/// Python raises). A date without year is this year's, or last year's when that would put it
/// more than a day ahead; a time without date is today's, or yesterday's when ahead of now.
/// Without a zone in the line, `default_tz` (the jail's `logtimezone`) or else local time.
pub fn to_unix_time(
    fields: &[(&str, &str)],
    default_tz: Option<i32>,
    now: NaiveDateTime,
) -> Option<f64> {
    let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let int = |v: &str| v.trim().parse::<i32>().ok();
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    let (mut weekday, mut julian, mut week) = (None, None, None);
    let mut tzoffset = None;
    for &(key, val) in fields {
        match key {
            "y" => {
                let y = int(val)?;
                year = Some(if y <= 2000 { y + 2000 } else { y });
            }
            "Y" => year = Some(int(val)?),
            "m" => month = Some(int(val)?),
            "B" => month = Some(MONTHS.iter().position(|m| *m == val.to_lowercase())? as i32 + 1),
            "b" => {
                let v = val.to_lowercase();
                month = Some(MONTHS.iter().position(|m| m[..3] == v)? as i32 + 1);
            }
            "d" => day = Some(int(val)?),
            "H" => hour = int(val)?,
            "I" => {
                hour = int(val)?;
                match get("p").unwrap_or("").to_lowercase().as_str() {
                    "" | "am" if hour == 12 => hour = 0,
                    "pm" if hour != 12 => hour += 12,
                    _ => {}
                }
            }
            "M" => minute = int(val)?,
            "S" => second = int(val)?,
            "A" => weekday = Some(WEEKDAYS.iter().position(|d| *d == val.to_lowercase())? as i32),
            "a" => {
                let v = val.to_lowercase();
                weekday = Some(WEEKDAYS.iter().position(|d| d[..3] == v)? as i32);
            }
            "w" => {
                let w = int(val)? - 1;
                weekday = Some(if w < 0 { 6 } else { w });
            }
            "j" => julian = Some(int(val)?),
            "U" | "W" => week = Some((int(val)?, key == "W")),
            "z" | "Z" => {
                tzoffset = Some(if matches!(val, "Z" | "UTC" | "GMT") {
                    0
                } else {
                    zone_offset(val).ok()?
                })
            }
            _ => {}
        }
    }
    let assume_year = year.is_none();
    let mut year = year.unwrap_or(now.year());
    if month.is_none() || day.is_none() {
        if julian.is_none()
            && let (Some((w, monday)), Some(wd)) = (week, weekday)
        {
            julian = julian_from_week(year, w, wd, monday);
        }
        if let Some(j) = julian {
            let date = NaiveDate::from_ymd_opt(year, 1, 1)? + Duration::days(i64::from(j) - 1);
            year = date.year();
            month = Some(date.month() as i32);
            day = Some(date.day() as i32);
        }
    }
    let assume_today = month.is_none() && day.is_none();
    let (month, day) = if assume_today {
        (now.month() as i32, now.day() as i32)
    } else {
        (month?, day?)
    };
    let mut date = NaiveDate::from_ymd_opt(year, month as u32, day as u32)?.and_hms_opt(
        hour as u32,
        minute as u32,
        second as u32,
    )?;
    let tzoffset = tzoffset.or(default_tz);
    if let Some(offset) = tzoffset {
        date -= Duration::minutes(i64::from(offset));
    }
    if assume_today && date > now {
        date -= Duration::days(1);
    }
    if assume_year && date > now + Duration::days(1) {
        date = NaiveDate::from_ymd_opt(year - 1, month as u32, day as u32)?.and_time(date.time());
    }
    Some(match tzoffset {
        Some(_) => date.and_utc().timestamp() as f64,
        None => Local
            .from_local_datetime(&date)
            .earliest()
            .map(|d| d.timestamp())? as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_as_fail2ban_regex_accepts_them() {
        assert_eq!(year_century_re(2026), "20[012]");
        assert_eq!(year_century_re(2031), "20[0123]");
        assert_eq!(
            year_century_re(2098),
            "2(?:00|01|02|03|04|05|06|07|08|09|10)"
        );
    }

    #[test]
    fn zones_as_fail2ban_reads_them() {
        assert_eq!(zone_offset("UTC"), Ok(0));
        assert_eq!(zone_offset("CET"), Ok(60));
        assert_eq!(zone_offset("-0430"), Ok(-270));
        assert_eq!(zone_offset("UTC+02:00"), Ok(120));
        assert_eq!(zone_offset("+01"), Ok(60));
        assert!(zone_offset("Europe/Paris").is_err());
    }

    #[test]
    fn fields_become_unix_time() {
        let now = NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let t = |f: &[(&str, &str)]| to_unix_time(f, Some(0), now);
        let full = [
            ("Y", "2005"),
            ("m", "01"),
            ("d", "23"),
            ("H", "21"),
            ("M", "59"),
            ("S", "59"),
        ];
        assert_eq!(t(&full), Some(1_106_517_599.0));
        // Without a year: this year, or last year if more than a day ahead.
        let no_year = [("b", "Mar"), ("d", "9"), ("H", "08")];
        assert_eq!(t(&no_year), Some(1_773_043_200.0));
        let ahead = [("b", "Dec"), ("d", "24"), ("H", "08")];
        assert_eq!(t(&ahead), Some(1_766_563_200.0));
        // 12 PM is noon, 12 AM midnight; a zone in the line wins.
        let pm = [
            ("Y", "2005"),
            ("m", "1"),
            ("d", "1"),
            ("I", "12"),
            ("p", "AM"),
            ("z", "+0100"),
        ];
        assert_eq!(to_unix_time(&pm, Some(600), now), Some(1_104_534_000.0));
        assert_eq!(t(&[("Y", "2005"), ("m", "2"), ("d", "30")]), None);
    }
}
