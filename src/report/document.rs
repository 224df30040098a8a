//! A Markdown document that knows which parts it may drop to stay under a
//! size limit (GitHub refuses step summaries over 1 MiB).

use super::escape::cut_at_char_boundary;

/// The most a report may weigh, with headroom under GitHub's 1 MiB.
pub const SUMMARY_LIMIT: usize = 1_000_000;

#[derive(Debug)]
enum Block {
    /// Kept whatever the size: headings, counts, warnings, failures.
    Essential(String),
    /// Kept row by row while there is room, most important rows first.
    Table { header: String, rows: Vec<Row> },
    /// Kept whole or not at all, in order, while there is room.
    Detail(String),
}

/// One table row, with what decides whether it survives a cut.
#[derive(Debug, Clone)]
pub struct Row {
    pub text: String,
    /// Lower is kept first.
    pub priority: u8,
    /// Rows left out are counted under this label ("delete aws:s3/bucket:Bucket").
    pub group: String,
}

/// Where a reader finds what a cut summary left out: each kind of report
/// names its own source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whole {
    /// An infrastructure preview: the digest Pulumi printed.
    Preview,
    /// An app update: the run's `--json` result.
    Update,
}

impl Whole {
    /// Where the whole is. Both places named are `--json` results, which
    /// no size limit cuts (only the Markdown has one); values in them are
    /// as short, and secrets as masked, as in the summary.
    fn where_it_is(self) -> &'static str {
        match self {
            Whole::Preview => {
                "Every change is listed in the run's `--json` result (`stackpilot preview <layer> <env> --json`, or `stackpilot summarize <file> --json` for a saved preview), which is never cut."
            }
            Whole::Update => {
                "Every service and revision is in the run's `--json` result (`stackpilot update <env> ... --json`), which is never cut."
            }
        }
    }
}

#[derive(Debug)]
pub struct Document {
    blocks: Vec<Block>,
    whole: Whole,
}

impl Document {
    pub fn new(whole: Whole) -> Self {
        Document {
            blocks: Vec::new(),
            whole,
        }
    }

    pub fn essential(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Essential(text.into()));
    }

    pub fn detail(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Detail(text.into()));
    }

    pub fn table(&mut self, header: impl Into<String>, rows: Vec<Row>) {
        self.blocks.push(Block::Table {
            header: header.into(),
            rows,
        });
    }

    fn full_len(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Essential(t) | Block::Detail(t) => t.len(),
                Block::Table { header, rows } => header.len() + rows.iter().map(|r| r.text.len()).sum::<usize>(),
            })
            .sum()
    }

    /// Renders the whole document, or, past `limit` bytes, the essentials,
    /// as many table rows and details as fit, and a note of what was left out.
    pub fn render(&self, limit: usize) -> String {
        if self.full_len() <= limit {
            let mut out = String::with_capacity(self.full_len());
            for block in &self.blocks {
                match block {
                    Block::Essential(t) | Block::Detail(t) => out.push_str(t),
                    Block::Table { header, rows } => {
                        out.push_str(header);
                        rows.iter().for_each(|r| out.push_str(&r.text));
                    }
                }
            }
            return out;
        }
        self.render_trimmed(limit)
    }

    fn render_trimmed(&self, limit: usize) -> String {
        const NOTE_RESERVE: usize = 600;
        let essentials: usize = self
            .blocks
            .iter()
            .map(|b| match b {
                Block::Essential(t) => t.len(),
                Block::Table { header, .. } => header.len(),
                Block::Detail(_) => 0,
            })
            .sum();
        let mut room = limit.saturating_sub(essentials + NOTE_RESERVE);
        // Tables come before details: a reader needs the list of changes more
        // than the property-level view of some of them.
        // Room for the line that counts the rows left out.
        const LEFT_OUT_RESERVE: usize = 1200;
        room = room.saturating_sub(LEFT_OUT_RESERVE);
        let mut kept_per_table: Vec<Vec<bool>> = Vec::new();
        for block in &self.blocks {
            if let Block::Table { rows, .. } = block {
                let mut order: Vec<usize> = (0..rows.len()).collect();
                order.sort_by_key(|&i| (rows[i].priority, i));
                let mut kept = vec![false; rows.len()];
                for i in order {
                    if rows[i].text.len() > room {
                        continue;
                    }
                    room -= rows[i].text.len();
                    kept[i] = true;
                }
                kept_per_table.push(kept);
            }
        }
        let (mut rows_dropped, mut details_dropped) = (0, 0);
        let mut out = String::with_capacity(limit);
        let mut table_index = 0;
        for block in &self.blocks {
            match block {
                Block::Essential(t) => out.push_str(t),
                Block::Table { header, rows } => {
                    let kept = &kept_per_table[table_index];
                    table_index += 1;
                    out.push_str(header);
                    let mut left_out: Vec<(&str, usize)> = Vec::new();
                    for (row, keep) in rows.iter().zip(kept) {
                        if *keep {
                            out.push_str(&row.text);
                        } else {
                            rows_dropped += 1;
                            match left_out.iter_mut().find(|(g, _)| *g == row.group) {
                                Some((_, n)) => *n += 1,
                                None => left_out.push((&row.group, 1)),
                            }
                        }
                    }
                    if !left_out.is_empty() {
                        let groups: Vec<String> = left_out.iter().take(20).map(|(g, n)| format!("{n} × {g}")).collect();
                        out.push_str(&format!("\n*Rows not shown: {}.*\n", groups.join(", ")));
                    }
                }
                Block::Detail(t) => {
                    if t.len() <= room {
                        room -= t.len();
                        out.push_str(t);
                    } else {
                        details_dropped += 1;
                    }
                }
            }
        }
        out.push_str(&format!(
            "\n> [!NOTE]\n> This summary was cut to stay under {limit} bytes: {rows_dropped} table rows and {details_dropped} detail sections were left out. {}\n",
            self.whole.where_it_is()
        ));
        // Essentials alone can exceed the limit only in absurd cases; even
        // then the output must respect it.
        cut_at_char_boundary(&out, limit).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str, priority: u8) -> Row {
        Row {
            text: text.into(),
            priority,
            group: format!("p{priority}"),
        }
    }

    #[test]
    fn small_documents_render_whole() {
        let mut doc = Document::new(Whole::Preview);
        doc.essential("# h\n");
        doc.table("|a|\n|-|\n", vec![row("|1|\n", 0)]);
        doc.detail("d\n");
        assert_eq!(doc.render(1000), "# h\n|a|\n|-|\n|1|\nd\n");
    }

    #[test]
    fn over_the_limit_details_go_before_rows_and_the_note_says_so() {
        let mut doc = Document::new(Whole::Preview);
        doc.essential("# heading\n");
        doc.table("|x|\n", (0..100).map(|i| row(&format!("|{i:04}|\n"), 0)).collect());
        for _ in 0..10 {
            doc.detail("é".repeat(300));
        }
        let out = doc.render(3000);
        assert!(out.len() <= 3000);
        assert!(out.contains("|0099|"), "all rows fit before any detail");
        assert!(out.contains("10 detail sections were left out"), "{out}");
    }

    #[test]
    fn rows_are_cut_when_even_the_table_does_not_fit() {
        let mut doc = Document::new(Whole::Preview);
        doc.essential("# heading\n");
        // Odd rows matter more; they survive, in table order.
        doc.table(
            "|x|\n",
            (0..1000)
                .map(|i| row(&format!("|{i:04}|\n"), (i % 2 == 0) as u8))
                .collect(),
        );
        let out = doc.render(4000);
        assert!(out.len() <= 4000);
        assert!(out.starts_with("# heading\n|x|\n|0001|\n|0003|"), "{out}");
        assert!(out.contains("Rows not shown: "), "{out}");
    }
}
