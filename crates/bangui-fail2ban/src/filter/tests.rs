use super::*;

fn spec(failregex: &[&str]) -> FilterSpec {
    FilterSpec {
        failregex: failregex.iter().map(|s| (*s).to_owned()).collect(),
        maxlines: 1,
        ..FilterSpec::default()
    }
}

#[test]
fn default_templates_are_fail2bans() {
    let t = dates::default_templates();
    // 17 defaults, 14 of them with a line-anchored variant first (weight 100).
    assert_eq!(t.len(), 31);
    assert_eq!(
        t[0].0,
        "{^LN-BEG}ExYear(?P<_sep>[-/.])Month(?P=_sep)Day(?:T|  ?)24hour:Minute:Second(?:[.,]Microseconds)?(?:\\s*Zone offset)?"
    );
    assert_eq!((t[0].2, t[0].3), (9, 100.0));
    let epoch = t.iter().find(|t| t.0 == "Epoch").unwrap();
    assert_eq!(
        epoch.1,
        r"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))\d{10,11}\b(?:\.\d{3,6})?)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))(?=\b|\W|$)"
    );
    assert_eq!(t.last().unwrap().0, "TAI64N");
}

#[test]
fn the_date_is_cut_out_before_the_expressions_see_the_line() {
    let mut f = Filter::new(&spec(&["^ sshd: fail from <HOST>$"])).unwrap();
    let r = f.process(["2024-01-02 03:04:05 sshd: fail from 192.0.2.1"]);
    assert_eq!(r.lines[0].status, LineStatus::Matched);
    assert_eq!(r.lines[0].date.as_deref(), Some("2024-01-02 03:04:05"));
    assert_eq!(r.lines[0].failures[0].id.as_deref(), Some("192.0.2.1"));
    assert_eq!(r.summary.failregex_matches, vec![1]);
}

#[test]
fn failures_of_one_connection_are_merged_and_a_success_is_no_failure() {
    let mut s = spec(&[
        "^Failed password for <F-USER>\\S+</F-USER>$",
        "^<F-NOFAIL><F-MLFFORGET>Accepted</F-MLFFORGET></F-NOFAIL> for <F-USER>\\S+</F-USER>$",
    ]);
    s.prefregex =
        Some(r"^ <F-MLFID>\S+ app\[\d+\]:</F-MLFID> from <HOST> <F-CONTENT>.+</F-CONTENT>$".into());
    let mut f = Filter::new(&s).unwrap();
    let r = f.process([
        "Jan  2 03:04:05 h app[7]: from 192.0.2.1 Failed password for root",
        "Jan  2 03:04:06 h app[7]: from 192.0.2.1 Accepted for root",
        "Jan  2 03:04:07 h app[8]: from 192.0.2.2 something else",
    ]);
    let status: Vec<LineStatus> = r.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        status,
        [LineStatus::Matched, LineStatus::Ignored, LineStatus::Missed]
    );
    assert_eq!(r.lines[0].failures[0].user.as_deref(), Some("root"));
    assert!(r.lines[1].failures[0].nofail);
    assert_eq!(r.summary.prefregex_matched, 3);
}

#[test]
fn what_fail2ban_refuses_is_refused() {
    let no_id = Filter::new(&spec(&["^no host here$"])).unwrap_err();
    assert!(
        matches!(no_id, FilterError::FailRegex { index: 1, .. }),
        "{no_id}"
    );
    assert_eq!(
        Filter::new(&spec(&[])).unwrap_err(),
        FilterError::NoFailRegex
    );
    let mut bad_date = spec(&["<HOST>"]);
    bad_date.datepattern = Some("%Q".into());
    assert!(matches!(
        Filter::new(&bad_date),
        Err(FilterError::DatePattern(_))
    ));
    let mut zero = spec(&["<HOST>"]);
    zero.maxlines = 0;
    assert_eq!(Filter::new(&zero).unwrap_err(), FilterError::MaxLines);
    let mut zone = spec(&["<HOST>"]);
    zone.logtimezone = Some("Mars/Olympus".into());
    assert!(matches!(
        Filter::new(&zone),
        Err(FilterError::DatePattern(_))
    ));
}
