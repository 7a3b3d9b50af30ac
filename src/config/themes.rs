//! `[[themes]]`: the editors' theme definitions. The rule language itself is
//! compiled and scored by `crate::themes`; this file only reads and checks it.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    /// kebab-case id; used in feed paths, so it is validated strictly.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A theme id is used as a directory name under `feeds/themes/`, so only
/// lowercase ASCII letters, digits and single inner hyphens are allowed.
pub fn is_valid_theme_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

pub(super) fn validate(themes: &[ThemeConfig]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (i, t) in themes.iter().enumerate() {
        if !is_valid_theme_id(&t.id) {
            return Err(format!(
                "themes[{i}].id: {:?} is not a kebab-case id (a-z, 0-9 and single hyphens)",
                t.id
            ));
        }
        if !seen.insert(t.id.as_str()) {
            return Err(format!("themes[{i}].id: {:?} is defined twice", t.id));
        }
        super::check_single_line(&format!("themes[{i}].name"), &t.name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_ids_cannot_escape_the_feeds_dir() {
        for bad in [
            "../etc",
            "a/b",
            "",
            "A",
            "x--y",
            "-x",
            "caucasus cinema",
            "..",
        ] {
            assert!(!is_valid_theme_id(bad), "{bad:?} accepted");
        }
        assert!(is_valid_theme_id("caucasus-cinema"));
    }
}
