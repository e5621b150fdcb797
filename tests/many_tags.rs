//! Queries over every tag of a table with many tags give the same, right answers before and
//! after a restart (issue 17, item 4). Tag names over every tag come from walking the tag
//! dictionary alongside the rows; these check that each row gets its own tag's name, with tags
//! whose rows were deleted in between. How fast it is, is `cargo bench --bench query`'s to say.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, create_tag_table, machbase_write_ok_as, query_csv};

const TAGS: u64 = 50_000;
/// Tags whose rows are deleted: the first, one in the middle, the last.
const DELETED: [u64; 3] = [0, 25_000, TAGS - 1];
/// 2024-06-01T00:00:00Z in seconds. Tag i has rows at T0 + i ms (value i) and one hour
/// later (value i + 0.5).
const T0_S: u64 = 1_717_200_000;
const HOUR_MS: u64 = 3_600_000;

fn name(i: u64) -> String {
    format!("tag-{i:05}")
}

fn load(s: &Server) {
    create_tag_table(s, "T");
    let mut body = String::new();
    for i in 0..TAGS {
        let ms = T0_S * 1000 + i;
        body.push_str(&format!("{},{ms},{i}\n", name(i)));
        body.push_str(&format!("{},{},{i}.5\n", name(i), ms + HOUR_MS));
    }
    let target = "T?method=append&format=csv&timeformat=ms";
    machbase_write_ok_as(s, target, "text/csv", body.as_bytes(), 2 * TAGS as usize);
    let names: Vec<String> = DELETED.iter().map(|&i| format!("'{}'", name(i))).collect();
    let sql = format!("delete from t where name in ({})", names.join(","));
    let r = common::machbase_query(s, &sql, "");
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
}

/// Every line `NAME,TIME,VALUE` of a CSV answer (epoch-ms times) is a row of its own tag.
fn assert_rows_named_right(csv: &str, rows: usize) {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("NAME,TIME,VALUE"));
    let mut count = 0;
    for line in lines {
        let mut fields = line.split(',');
        let (tag, time, value) = (fields.next(), fields.next(), fields.next());
        let i: u64 = tag
            .and_then(|t| t.strip_prefix("tag-"))
            .unwrap()
            .parse()
            .unwrap();
        let time: u64 = time.unwrap().parse().unwrap();
        let value: f64 = value.unwrap().parse().unwrap();
        assert_eq!(value.floor() as u64, i, "{line}");
        let offset = if value.fract() == 0.0 { 0 } else { HOUR_MS };
        assert_eq!(time, T0_S * 1000 + i + offset, "{line}");
        assert!(!DELETED.contains(&i), "{line}: the tag's rows were deleted");
        count += 1;
    }
    assert_eq!(count, rows);
}

/// The answers to the questions over every tag, checked, in one string to compare across
/// the restart.
fn ask(s: &Server) -> String {
    let live = (TAGS as usize) - DELETED.len();
    let q = |sql: &str| {
        let r = common::machbase_query(s, sql, "format=csv&timeformat=ms");
        assert_eq!(r.status, 200, "{sql}: {}", r.text());
        r.text()
    };
    let mut answers = String::new();

    let count = query_csv(s, "select count(*) from t");
    assert_eq!(count, format!("count(*)\n{}\n\n", 2 * live));
    answers += &count;

    // Every row: one pass over the keyspace, names from the dictionary walk; tag after tag
    // in id order (here the names' order), each tag's rows in time order.
    let all = q("select * from t");
    assert_rows_named_right(&all, 2 * live);
    let mut lines: Vec<&str> = all.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let in_order = lines.is_sorted();
    lines.dedup();
    assert!(
        in_order && lines.len() == 2 * live,
        "rows out of order or repeated"
    );
    assert!(
        all.starts_with("NAME,TIME,VALUE\ntag-00001,"),
        "{}",
        &all[..60]
    );
    answers += &all;

    // A time range over every tag: tag by tag, names from the dictionary entries. SQL times
    // are nanoseconds.
    let from_ns = (T0_S * 1000 + HOUR_MS) * 1_000_000;
    let later = q(&format!(
        "select * from t where time between {from_ns} and {}",
        from_ns + TAGS * 1_000_000
    ));
    assert_rows_named_right(&later, live);
    answers += &later;

    // The newest rows across every tag: a merge over 50,000 tags.
    let newest = q("select * from t order by time desc limit 3");
    assert_rows_named_right(&newest, 3);
    let names: Vec<&str> = newest
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| &l[..9])
        .collect();
    assert_eq!(names, ["tag-49998", "tag-49997", "tag-49996"]);
    answers += &newest;

    // Listed tags (a deleted one among them) are looked up.
    let listed = q("select * from t where name in ('tag-49998', 'tag-00000', 'tag-00002')");
    assert_rows_named_right(&listed, 4);
    answers += &listed;

    // Statistics of every tag in one scan; the deleted tags have no row.
    let stats = q("select name, row_count, min_time, max_time, min_value, max_value from v$t_stat");
    let lines: Vec<&str> = stats.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), live + 1);
    let mut previous = None;
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split(',').collect();
        let i: u64 = fields[0].strip_prefix("tag-").unwrap().parse().unwrap();
        // Tag id order, which is the order the names were first written: each tag once.
        assert!(previous < Some(i), "{line} after tag {previous:?}");
        previous = Some(i);
        let (t, v) = (T0_S * 1000 + i, i);
        let want = format!("{},2,{t},{},{v},{v}.5", name(i), t + HOUR_MS);
        assert_eq!(*line, want);
    }
    answers += &stats;

    // The tag list keeps the names of the deleted tags.
    let meta = q("select count(*) from _t_meta");
    assert_eq!(meta, format!("count(*)\n{TAGS}\n\n"));
    answers += &meta;
    answers
}

#[test]
fn questions_over_every_tag_of_50000_tags_are_answered_alike_before_and_after_a_restart() {
    let s = Server::start("many-tags");
    load(&s);
    let before = ask(&s);
    let s = s.restart();
    let after = ask(&s);
    assert!(before == after, "the answers changed across the restart");
}
