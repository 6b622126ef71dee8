//! Stan's data errors as one line a user can act on. Stan's own JSON reader (rapidjson behind
//! `stan::json::json_data`) already checks the structure and names the variable (null, boolean
//! and string values, ragged arrays, a variable given twice), and the model's constructor
//! checks names, dimensions and constraints; flowpost does not parse the data a second time
//! (a second parser would refuse files Stan reads, such as bare `NaN` and `Infinity`). What it
//! adds: a syntax error's byte offset becomes a line and column, and Stan's multi-line
//! messages become one line.

/// Stan's `message` about the data `json`, on one line, a syntax error's offset as a line and
/// column.
pub(crate) fn tidy(message: &str, json: &str) -> String {
    let one_line = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let Some(rest) = message.trim_start().strip_prefix("Error in JSON parsing") else {
        return one_line(message);
    };
    let rest = rest.trim_start();
    let Some((offset, what)) = rest
        .strip_prefix("at offset ")
        .and_then(|r| r.split_once(':'))
        .and_then(|(n, what)| Some((n.trim().parse::<usize>().ok()?, what)))
    else {
        return one_line(message);
    };
    let before = &json.as_bytes()[..offset.min(json.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Columns count characters, not bytes.
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    format!(
        "JSON syntax error at line {line}, column {column}: {}",
        one_line(what)
    )
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn offsets_become_lines_and_columns() {
        let json = "{\"J\": 8,\n \"y\": [1 2]}";
        let m = "Error in JSON parsing \nat offset 17: \nMissing a comma or ']' after an array element.\n";
        assert_eq!(
            tidy(m, json),
            "JSON syntax error at line 2, column 9: Missing a comma or ']' after an array element."
        );
        // An offset past the end (a truncated file) points after the last character.
        let m = "Error in JSON parsing\nat offset 99:\nThe document is empty.\n";
        assert_eq!(
            tidy(m, "{"),
            "JSON syntax error at line 1, column 2: The document is empty."
        );
        // Non-ASCII before the error: columns count characters.
        let json = "{\"θ\": [1 2]}";
        let m = "Error in JSON parsing\nat offset 10:\nMissing a comma.\n";
        assert!(tidy(m, json).contains("column 10"), "{}", tidy(m, json));
        // Other messages: one line, unchanged otherwise.
        assert_eq!(
            tidy("Variable: y, error: non-rectangular array.\n", "{}"),
            "Variable: y, error: non-rectangular array."
        );
        assert_eq!(
            tidy("Error in JSON parsing\ngarbled", "{}"),
            "Error in JSON parsing garbled"
        );
    }
}
