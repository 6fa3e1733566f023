//! Text folding for search and for recognising the same name twice.
//!
//! People type Persian names on Arabic, Persian and Latin keyboards: `علي` and `علی` (Arabic
//! and Persian yeh), `كاوه` and `کاوه` (kaf), with or without diacritics, tatweel or a
//! zero-width non-joiner, with Persian, Arabic-Indic or ASCII digits. [`fold`] maps all of
//! them, and letter case, to one form; the store keeps a folded copy of each contact's
//! searchable text and folds the query the same way.

/// Folds `text` for comparison: lower-case; Arabic yeh/alef-maksura → Persian yeh, Arabic
/// kaf → Persian kaf, heh with yeh / teh marbuta → heh, alef variants → alef; diacritics,
/// tatweel and directional marks removed; Persian and Arabic-Indic digits → ASCII; any run
/// of white space (and ZWNJ) → one space; trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let c = match c {
            '\u{064A}' | '\u{0649}' => 'ی',
            '\u{0643}' => 'ک',
            '\u{06C0}' | '\u{0629}' => 'ه',
            '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => 'ا',
            '\u{0624}' => 'و',
            '\u{06F0}'..='\u{06F9}' => ascii_digit(c, 0x06F0),
            '\u{0660}'..='\u{0669}' => ascii_digit(c, 0x0660),
            // Harakat, superscript alef, tatweel, bidi marks: not part of the word.
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{200E}' | '\u{200F}' => {
                continue;
            }
            '\u{200C}' => ' ',
            other => other,
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// What a contact is found by: its folded name, organisation and e-mail, one per line (a
/// folded query has no line breaks, so a match never spans two fields).
pub fn contact_search_text(name: &str, organisation: Option<&str>, email: Option<&str>) -> String {
    [
        fold(name),
        fold(organisation.unwrap_or("")),
        fold(email.unwrap_or("")),
    ]
    .join("\n")
}

fn ascii_digit(c: char, zero: u32) -> char {
    char::from_digit(u32::from(c) - zero, 10).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_keyboard_variants_case_and_spaces() {
        assert_eq!(fold("علي"), fold("علی"));
        assert_eq!(fold("كاوه"), fold("کاوه"));
        assert_eq!(fold("مُحَمَّد"), "محمد");
        assert_eq!(fold("آرش"), fold("ارش"));
        assert_eq!(fold("می‌خواهم"), "می خواهم");
        assert_eq!(fold("  Ali   REZAEI "), "ali rezaei");
        assert_eq!(fold("۱۲۳ ١٢٣"), "123 123");
        assert_eq!(fold("Élodie"), "élodie");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn search_text_keeps_fields_apart() {
        let text = contact_search_text("Ali", Some("Kaveh Trading"), None);
        assert_eq!(text, "ali\nkaveh trading\n");
        assert!(!text.contains(&fold("ali kaveh")));
    }
}
