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
}
