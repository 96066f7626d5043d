//! Zammad-style pagination: 1-based `page`, `per_page` (alias `limit`) with a default and a cap.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn new(page: Option<i64>, per_page: Option<i64>, default: i64, cap: i64) -> Self {
        let page = page.filter(|p| *p >= 1).unwrap_or(1);
        let per_page = per_page.filter(|p| *p >= 1).unwrap_or(default).min(cap);
        Page { page, per_page }
    }

    /// A paging number read as Ruby's `String#to_i` reads it (what Zammad does): leading
    /// blanks, an optional sign, then the digits up to the first other character; nothing
    /// numeric is 0. `"1,per_page=2"` (a client library sends that) is 1. Saturates at the
    /// bounds of `i64`.
    pub fn number(text: &str) -> i64 {
        let text = text.trim_start();
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let mut value: i64 = 0;
        for digit in digits.bytes().take_while(u8::is_ascii_digit) {
            value = value
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'));
        }
        if negative { -value } else { value }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_caps() {
        assert_eq!(
            Page::new(None, None, 100, 100),
            Page {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(Page::new(Some(3), Some(500), 50, 200).per_page, 200);
        assert_eq!(
            Page::new(Some(0), Some(-1), 50, 200),
            Page {
                page: 1,
                per_page: 50
            }
        );
        assert_eq!(Page::new(Some(3), Some(20), 50, 200).offset(), 40);
    }

    #[test]
    fn numbers_are_read_as_ruby_reads_them() {
        for (text, value) in [
            ("1,per_page=2", 1),
            ("  42abc", 42),
            ("-3", -3),
            ("+7", 7),
            ("abc", 0),
            ("", 0),
            ("99999999999999999999999", i64::MAX),
            ("１", 0),
        ] {
            assert_eq!(Page::number(text), value, "{text:?}");
        }
    }
}
