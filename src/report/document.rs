//! A Markdown document that knows which parts it may drop to stay under a
//! size limit (GitHub refuses step summaries over 1 MiB).

use super::escape::cut_at_char_boundary;

/// The most a report may weigh, with headroom under GitHub's 1 MiB.
pub const SUMMARY_LIMIT: usize = 1_000_000;

#[derive(Debug)]
enum Block {
    /// Kept whatever the size: headings, counts, warnings, failures.
    Essential(String),
    /// Kept row by row while there is room.
    Table { header: String, rows: Vec<String> },
    /// Kept whole or not at all, in order, while there is room.
    Detail(String),
}

#[derive(Debug, Default)]
pub struct Document {
    blocks: Vec<Block>,
}

impl Document {
    pub fn essential(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Essential(text.into()));
    }

    pub fn detail(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Detail(text.into()));
    }

    pub fn table(&mut self, header: impl Into<String>, rows: Vec<String>) {
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
                Block::Table { header, rows } => header.len() + rows.iter().map(String::len).sum::<usize>(),
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
                        rows.iter().for_each(|r| out.push_str(r));
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
        let mut rows_kept: Vec<usize> = Vec::new();
        for block in &self.blocks {
            if let Block::Table { rows, .. } = block {
                let mut kept = 0;
                for row in rows {
                    if row.len() > room {
                        break;
                    }
                    room -= row.len();
                    kept += 1;
                }
                rows_kept.push(kept);
            }
        }
        let (mut rows_dropped, mut details_dropped) = (0, 0);
        let mut out = String::with_capacity(limit);
        let mut table_index = 0;
        for block in &self.blocks {
            match block {
                Block::Essential(t) => out.push_str(t),
                Block::Table { header, rows } => {
                    let kept = rows_kept[table_index];
                    table_index += 1;
                    out.push_str(header);
                    rows[..kept].iter().for_each(|r| out.push_str(r));
                    if kept < rows.len() {
                        rows_dropped += rows.len() - kept;
                        out.push_str(&format!(
                            "\n*… and {} more rows not shown.*\n",
                            rows.len() - kept
                        ));
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
            "\n> [!NOTE]\n> This summary was cut to stay under {limit} bytes: {rows_dropped} table rows and {details_dropped} detail sections were left out. The full preview is in the JSON that `pulumi preview --json` printed; `stackpilot summarize <file> --summary <out.md>` renders it whole.\n"
        ));
        // Essentials alone can exceed the limit only in absurd cases; even
        // then the output must respect it.
        cut_at_char_boundary(&out, limit).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_documents_render_whole() {
        let mut doc = Document::default();
        doc.essential("# h\n");
        doc.table("|a|\n|-|\n", vec!["|1|\n".into()]);
        doc.detail("d\n");
        assert_eq!(doc.render(1000), "# h\n|a|\n|-|\n|1|\nd\n");
    }

    #[test]
    fn over_the_limit_details_go_before_rows_and_the_note_says_so() {
        let mut doc = Document::default();
        doc.essential("# heading\n");
        doc.table("|x|\n", (0..100).map(|i| format!("|{i:04}|\n")).collect());
        for _ in 0..10 {
            doc.detail("é".repeat(200));
        }
        let out = doc.render(1500);
        assert!(out.len() <= 1500);
        assert!(out.contains("|0099|"), "all rows fit before any detail");
        assert!(out.contains("10 detail sections were left out"), "{out}");
    }

    #[test]
    fn rows_are_cut_when_even_the_table_does_not_fit() {
        let mut doc = Document::default();
        doc.essential("# heading\n");
        doc.table("|x|\n", (0..1000).map(|i| format!("|{i:04}|\n")).collect());
        let out = doc.render(2000);
        assert!(out.len() <= 2000);
        assert!(out.contains("more rows not shown"));
        assert!(out.starts_with("# heading\n|x|\n|0000|"));
    }
}
