//! The channel states users see, every state against every operation, and the
//! table in Documentation/xen-channel.rst against the code.

use crate::pure::lifecycle::*;
use ChannelState::*;

#[test]
fn end_of_file_only_after_a_connected_backend_closed() {
    // From any sequence of link events, a channel reads EOF (and polls HUP) only if
    // it was connected at some point and the last of Connected/Closed was Closed.
    use LinkEvent::*;
    let events = [Connected, Closed, Paused, Broke, Removed];
    // All sequences of up to 5 events.
    let mut seqs: Vec<Vec<LinkEvent>> = vec![vec![]];
    for _ in 0..5 {
        let mut next = Vec::new();
        for s in &seqs {
            for &e in &events {
                let mut t = s.clone();
                t.push(e);
                next.push(t);
            }
        }
        seqs.extend(next);
    }
    for seq in seqs {
        let state = seq.iter().fold(Unconnected, |s, &e| s.after(e));
        let fatal = seq.iter().any(|e| matches!(e, Broke | Removed));
        let last_link = seq
            .iter()
            .rev()
            .find(|e| matches!(e, LinkEvent::Connected | Closed));
        let was_connected = seq.contains(&LinkEvent::Connected);
        let hung_up = !fatal && was_connected && last_link == Some(&Closed);
        assert_eq!(
            read_op(state, 0) == ReadOp::Eof,
            hung_up,
            "{seq:?} -> {state:?}"
        );
        assert_eq!(
            readiness(state, 0, 100).hang_up,
            hung_up || fatal,
            "{seq:?}"
        );
    }
}

#[test]
fn broken_and_gone_are_final() {
    for e in [
        LinkEvent::Connected,
        LinkEvent::Closed,
        LinkEvent::Paused,
        LinkEvent::Broke,
    ] {
        assert_eq!(Gone.after(e), Gone);
        if e != LinkEvent::Removed {
            assert_eq!(Broken.after(e), Broken);
        }
    }
    assert_eq!(Broken.after(LinkEvent::Removed), Gone);
}

#[test]
fn not_yet_connected_and_reconnecting_wait_and_queue() {
    for state in [Unconnected, Reconnecting] {
        assert_eq!(read_op(state, 0), ReadOp::Wait);
        assert_eq!(read_op(state, 5), ReadOp::Data);
        assert_eq!(write_op(state, 5), WriteOp::Accept);
        assert_eq!(write_op(state, 0), WriteOp::Wait);
        assert_eq!(sync_op(state, 5), SyncOp::Wait);
        let r = readiness(state, 0, 5);
        assert!(
            !r.readable && !r.hang_up && !r.error && r.writable,
            "{state:?}"
        );
    }
}

#[test]
fn sigio_bands_follow_new_readiness() {
    let connected = readiness(Connected, 0, 10);
    let hung = readiness(HungUp, 0, 10);
    let broken = readiness(Broken, 0, 10);
    let b = bands(connected, hung, false, false);
    assert!(b.hang_up && b.input && !b.output && !b.error);
    let b = bands(hung, broken, false, false);
    assert!(b.error && !b.hang_up && !b.input);
    let b = bands(connected, readiness(Connected, 5, 10), true, false);
    assert!(b.input && !b.output && !b.hang_up);
    // Both moved: both bands (a writer waiting for POLL_OUT must get it).
    let b = bands(
        readiness(Connected, 5, 0),
        readiness(Connected, 9, 4),
        true,
        true,
    );
    assert!(b.input && b.output);
    assert!(!bands(connected, connected, false, false).any());
}

/// One row of the state table in Documentation/xen-channel.rst.
struct Row {
    state: ChannelState,
    cells: Vec<String>,
}

/// The rows of the table that follows the `.. state-table` comment.
fn doc_table() -> Vec<Row> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../Documentation/xen-channel.rst"
    ))
    .expect("Documentation/xen-channel.rst");
    let start = doc
        .find(".. state-table")
        .expect("a `.. state-table` comment before the table");
    let mut rows = Vec::new();
    let mut rules = 0;
    for line in doc[start..].lines().skip(1) {
        if line.starts_with("====") {
            rules += 1;
            if rules == 3 {
                break;
            }
            continue;
        }
        if rules != 2 || line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        let state = ChannelState::ALL
            .into_iter()
            .find(|s| s.name() == cells[0])
            .unwrap_or_else(|| panic!("unknown state {:?} in the table", cells[0]));
        rows.push(Row { state, cells });
    }
    rows
}

fn read_word(op: ReadOp) -> &'static str {
    match op {
        ReadOp::Data => "bytes",
        ReadOp::Eof => "0",
        ReadOp::Wait => "waits",
        ReadOp::Fail(f) => fail_word(f),
    }
}

fn write_word(op: WriteOp) -> &'static str {
    match op {
        WriteOp::Accept => "queues",
        WriteOp::Wait => "waits",
        WriteOp::Fail(f) => fail_word(f),
    }
}

fn sync_word(op: SyncOp) -> &'static str {
    match op {
        SyncOp::Done => "0",
        SyncOp::Wait => "waits",
        SyncOp::Fail(f) => fail_word(f),
    }
}

fn fail_word(f: Failure) -> &'static str {
    match f {
        Failure::NoDevice => "ENODEV",
        Failure::Io => "EIO",
        Failure::Pipe => "EPIPE",
    }
}

/// poll's bits as the table writes them: `IN`, `OUT`, `HUP`, `ERR`, with `IN?` and
/// `OUT?` for "if bytes are queued" and "if the queue has room".
fn poll_word(state: ChannelState) -> String {
    let (idle, busy) = (readiness(state, 0, 0), readiness(state, 1, 1));
    let mut words = Vec::new();
    for (name, a, b) in [
        ("IN", idle.readable, busy.readable),
        ("OUT", idle.writable, busy.writable),
        ("HUP", idle.hang_up, busy.hang_up),
        ("ERR", idle.error, busy.error),
    ] {
        match (a, b) {
            (true, true) => words.push(name.to_string()),
            (false, true) => words.push(format!("{name}?")),
            _ => {}
        }
    }
    if words.is_empty() {
        "-".into()
    } else {
        words.join(" ")
    }
}

#[test]
fn the_documented_table_is_the_code() {
    let rows = doc_table();
    let states: Vec<ChannelState> = rows.iter().map(|r| r.state).collect();
    assert_eq!(states, ChannelState::ALL, "one row per state, in order");
    for row in rows {
        let s = row.state;
        let want = [
            s.name().to_string(),
            read_word(read_op(s, 0)).into(),
            read_word(read_op(s, 1)).into(),
            write_word(write_op(s, 1)).into(),
            write_word(write_op(s, 0)).into(),
            poll_word(s),
            sync_word(sync_op(s, 1)).into(),
        ];
        let got: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        assert_eq!(got, want, "the row of {s:?}");
    }
}
