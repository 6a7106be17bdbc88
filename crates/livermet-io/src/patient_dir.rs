//! Patient IDs are data, never paths: the one place an ID becomes a folder name.
//!
//! A cohort's `patient_id` is whatever the hospital uses (`S.1`, `A 1`, `2023-17`). Joined to a
//! folder as it stands, `..` names the folder above the output (which `prepare` would then
//! replace, deleting the user's files) and `.` the output itself; sanitised by replacing odd
//! characters, `A 1` and `A_1` share one folder. So IDs that cannot be data are refused
//! ([`id_problem`]: empty, `.` or `..`, a path separator, a control character) and the rest are
//! encoded injectively ([`folder_name`]): ASCII letters, digits, `-`, `_` and a `.` that is not
//! the first character stay; every other byte of the ID's UTF-8 becomes `%XX` (`%` itself
//! included), so two different IDs never share a folder and none is hidden. Only a
//! case-insensitive file system (macOS, Windows shares) could still fold `a1` and `A1` into one
//! folder: [`folder_key`] is what a cohort's IDs must not share.

use std::path::{Path, PathBuf};

/// An ID that cannot name a patient's folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "patient ID \"{id}\" {reason}; give every patient an ID of letters, digits, spaces or punctuation other than `/` and `\\`"
)]
pub struct InvalidPatientId {
    /// The ID, control characters escaped, shortened to 40 characters.
    pub id: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Why `id` cannot be a patient ID, or `None` when it can.
pub fn id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("is empty")
    } else if id == "." || id == ".." {
        Some("is `.` or `..`, which name folders, not patients")
    } else if id.contains('/') || id.contains('\\') {
        Some("contains a path separator (`/` or `\\`)")
    } else if id.chars().any(char::is_control) {
        Some("contains a control character (tab, newline, ...)")
    } else {
        None
    }
}

/// The folder name of a valid patient ID (see the module documentation for the encoding).
pub fn folder_name(id: &str) -> Result<String, InvalidPatientId> {
    if let Some(why) = id_problem(id) {
        return Err(InvalidPatientId {
            id: printable(id),
            reason: why,
        });
    }
    let mut name = String::with_capacity(id.len());
    for (i, b) in id.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if keep {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(name)
}

/// `root/<folder_name(id)>`: the only way a patient's folder is named.
pub fn patient_dir(root: &Path, id: &str) -> Result<PathBuf, InvalidPatientId> {
    Ok(root.join(folder_name(id)?))
}

/// What two IDs must not share in one cohort: their folder names compared without case.
pub fn folder_key(id: &str) -> Option<String> {
    folder_name(id).ok().map(|n| n.to_lowercase())
}

/// The ID as it may appear in a message: control characters escaped, at most 40 characters.
fn printable(id: &str) -> String {
    let escaped: String = id.escape_debug().collect();
    if escaped.chars().count() > 40 {
        format!("{}...", escaped.chars().take(40).collect::<String>())
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_name_paths_are_refused() {
        for id in [
            "", ".", "..", "../x", "a/b", "a\\b", "/etc", "a\nb", "a\tb", "\u{7f}",
        ] {
            assert!(id_problem(id).is_some(), "{id:?} accepted");
            assert!(folder_name(id).is_err(), "{id:?} got a folder");
        }
    }

    #[test]
    fn encoding_keeps_plain_ids_and_is_injective() {
        assert_eq!(folder_name("P001").unwrap(), "P001");
        assert_eq!(folder_name("S.1").unwrap(), "S.1");
        assert_eq!(folder_name("a-b_c").unwrap(), "a-b_c");
        assert_eq!(folder_name("A 1").unwrap(), "A%201");
        assert_eq!(folder_name("A%201").unwrap(), "A%25201");
        assert_eq!(folder_name(".hidden").unwrap(), "%2Ehidden");
        assert_eq!(folder_name("...").unwrap(), "%2E..");
        assert_eq!(folder_name("é").unwrap(), "%C3%A9");
        let ids = [
            "A 1", "A_1", "A%201", "A.1", "a 1", "S.1", "S.2", ".1", "%2E1", "A:1",
        ];
        let names: std::collections::HashSet<String> =
            ids.iter().map(|id| folder_name(id).unwrap()).collect();
        assert_eq!(names.len(), ids.len());
    }

    #[test]
    fn folder_key_folds_case_only() {
        assert_eq!(folder_key("a1"), folder_key("A1"));
        assert_ne!(folder_key("A 1"), folder_key("A_1"));
        assert_eq!(folder_key(".."), None);
    }

    #[test]
    fn messages_escape_and_shorten_the_id() {
        let e = folder_name("a\nb").unwrap_err().to_string();
        assert!(e.contains("a\\nb"), "{e}");
        assert_eq!(e.lines().count(), 1);
        let long = format!("{}\n", "x".repeat(100));
        assert!(folder_name(&long).unwrap_err().to_string().len() < 200);
    }
}
