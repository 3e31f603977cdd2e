//! Reading a text data file into numbered lines. Tolerates what the official release files
//! contain: a UTF-8 byte-order mark (MRPC), a missing final newline (CoLA dev, AX, SuperGLUE)
//! and `\r\n` line ends.

use std::path::Path;

use crate::error::{DatasetError, Result};

/// Reads a whole file as UTF-8.
pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Splits text into `(1-based line number, line)` pairs without the line ends. A final line
/// end does not produce an empty last line, but an empty line anywhere else is kept, so a
/// parser reports it as a malformed row.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.strip_suffix('\n').unwrap_or(text);
    let empty = text.is_empty();
    text.split('\n')
        .filter(move |_| !empty)
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .enumerate()
        .map(|(i, line)| (i + 1, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, &str)> {
        numbered_lines(text).collect()
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        assert_eq!(lines("\u{feff}a\tb\nc\n"), vec![(1, "a\tb"), (2, "c")]);
    }

    #[test]
    fn missing_final_newline_keeps_last_line() {
        assert_eq!(lines("a\nb"), vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn crlf_and_inner_empty_lines() {
        assert_eq!(lines("a\r\n\r\nb\r\n"), vec![(1, "a"), (2, ""), (3, "b")]);
    }

    #[test]
    fn empty_text_has_no_lines() {
        assert!(lines("").is_empty());
        assert!(lines("\u{feff}").is_empty());
    }
}
