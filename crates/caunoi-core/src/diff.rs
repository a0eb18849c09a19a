//! A small text comparison for the console (so sánh phiên bản): which lines of a text were kept,
//! removed or added, and inside a line that was changed, which words. Used to show what a
//! knowledge-base version changed against the one before it.
//!
//! A plain longest-common-subsequence over lines, then over the words of each changed line pair.
//! Texts here are short (an answer is at most 8,000 characters), so the quadratic table is
//! small; past [`MAX_CELLS`] the comparison gives up on detail and shows the old text removed
//! and the new one added, which is still true.

/// Largest LCS table built (lines × lines or words × words).
pub const MAX_CELLS: usize = 1_000_000;

/// What happened to a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    Removed,
    Added,
}

impl Mark {
    /// CSS class of the piece (`same`, `del`, `ins`).
    pub fn class(self) -> &'static str {
        match self {
            Mark::Same => "same",
            Mark::Removed => "del",
            Mark::Added => "ins",
        }
    }
}

/// A run of text with one mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub mark: Mark,
    pub text: String,
}

/// One line of a comparison: a kept, removed or added line, or a changed one whose pieces say
/// which words went and came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// What happened to the whole line (`Same` for a changed line: it is still there).
    pub mark: Mark,
    /// The line was edited: its pieces mark the words removed and added.
    pub changed: bool,
    pub pieces: Vec<Piece>,
}

impl DiffLine {
    fn whole(mark: Mark, text: &str) -> DiffLine {
        DiffLine { mark, changed: false, pieces: vec![Piece { mark, text: text.to_string() }] }
    }

    /// CSS class of the line (`same`, `del`, `ins`, `chg`).
    pub fn class(&self) -> &'static str {
        if self.changed { "chg" } else { self.mark.class() }
    }
}

/// Marks each item of `old` and `new` as kept, removed or added, in order.
fn lcs<'a, T: PartialEq>(old: &'a [T], new: &'a [T]) -> Vec<(Mark, &'a T)> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return old.iter().map(|x| (Mark::Removed, x)).chain(new.iter().map(|x| (Mark::Added, x))).collect();
    }
    // table[i][j]: length of the LCS of old[i..] and new[j..].
    let width = m + 1;
    let mut table = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * width + j] = if old[i] == new[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n && j < m {
        if old[i] == new[j] {
            out.push((Mark::Same, &old[i]));
            i += 1;
            j += 1;
        } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
            out.push((Mark::Removed, &old[i]));
            i += 1;
        } else {
            out.push((Mark::Added, &new[j]));
            j += 1;
        }
    }
    out.extend(old[i..].iter().map(|x| (Mark::Removed, x)));
    out.extend(new[j..].iter().map(|x| (Mark::Added, x)));
    out
}

/// Words and the spaces between them, so that joining the pieces gives the text back.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in line.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            out.push(&line[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// The words of a changed line pair, merged into runs.
fn word_pieces(old: &str, new: &str) -> Vec<Piece> {
    let (a, b) = (words(old), words(new));
    let mut pieces: Vec<Piece> = Vec::new();
    for (mark, w) in lcs(&a, &b) {
        match pieces.last_mut() {
            Some(p) if p.mark == mark => p.text.push_str(w),
            _ => pieces.push(Piece { mark, text: (*w).to_string() }),
        }
    }
    pieces
}

/// Compares two texts line by line; a block of removed lines followed by a block of added ones
/// is shown pairwise as changed lines with the words that differ.
pub fn compare(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let marked = lcs(&a, &b);
    let mut out = Vec::new();
    let mut k = 0;
    while k < marked.len() {
        let (mark, line) = marked[k];
        if mark == Mark::Same {
            out.push(DiffLine::whole(Mark::Same, line));
            k += 1;
            continue;
        }
        // A run of removals and additions: pair them up in order.
        let end = marked[k..].iter().position(|(m, _)| *m == Mark::Same).map_or(marked.len(), |p| k + p);
        let removed: Vec<&str> = marked[k..end].iter().filter(|(m, _)| *m == Mark::Removed).map(|(_, l)| **l).collect();
        let added: Vec<&str> = marked[k..end].iter().filter(|(m, _)| *m == Mark::Added).map(|(_, l)| **l).collect();
        let pairs = removed.len().min(added.len());
        for p in 0..pairs {
            out.push(DiffLine { mark: Mark::Same, changed: true, pieces: word_pieces(removed[p], added[p]) });
        }
        out.extend(removed[pairs..].iter().map(|l| DiffLine::whole(Mark::Removed, l)));
        out.extend(added[pairs..].iter().map(|l| DiffLine::whole(Mark::Added, l)));
        k = end;
    }
    out
}

/// Whether a comparison found any difference.
pub fn differs(lines: &[DiffLine]) -> bool {
    lines.iter().any(|l| l.changed || l.mark != Mark::Same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                l.pieces
                    .iter()
                    .map(|p| match p.mark {
                        Mark::Same => p.text.clone(),
                        Mark::Removed => format!("[-{}]", p.text),
                        Mark::Added => format!("[+{}]", p.text),
                    })
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn kept_removed_and_added_lines_are_told_apart() {
        let d = compare("một\nhai\nba", "một\nba\nbốn");
        assert_eq!(render(&d), ["một", "[-hai]", "ba", "[+bốn]"]);
        assert!(differs(&d));
        assert!(!differs(&compare("a\nb", "a\nb")));
    }

    #[test]
    fn a_changed_line_shows_the_words_that_differ() {
        let d = compare("Lệ phí 14.000 đồng, nộp tại Công an phường.", "Lệ phí 15.000 đồng, nộp tại Công an xã.");
        assert_eq!(d.len(), 1);
        assert!(d[0].changed);
        assert_eq!(render(&d), ["Lệ phí [-14.000][+15.000] đồng, nộp tại Công an [-phường.][+xã.]"]);
        // Joining the kept and added pieces gives the new text back.
        let new: String = d[0].pieces.iter().filter(|p| p.mark != Mark::Removed).map(|p| p.text.as_str()).collect();
        assert_eq!(new, "Lệ phí 15.000 đồng, nộp tại Công an xã.");
    }

    #[test]
    fn empty_sides_are_all_added_or_all_removed() {
        assert_eq!(render(&compare("", "a\nb")), ["[+a]", "[+b]"]);
        assert_eq!(render(&compare("a", "")), ["[-a]"]);
        assert!(compare("", "").is_empty());
    }

    #[test]
    fn a_huge_comparison_falls_back_to_removed_then_added() {
        let old: String = (0..1100).map(|i| format!("dòng {i}\n")).collect();
        let new: String = (0..1100).map(|i| format!("hàng {i}\n")).collect();
        let d = compare(&old, &new);
        // Without the table no pair is found: 1,100 changed pairs, each still exact.
        assert_eq!(d.len(), 1100);
        assert!(d.iter().all(|l| l.changed));
    }
}
