//! Wildcard matching shared by SQL `LIKE` (`%`, `_`) and the Machbase UI API's table-name
//! globs (`*`, `?`).
//!
//! Iterative with one backtrack point, so time is at most `pattern.len() * text.len()`
//! steps, whatever the pattern: a pattern from the network cannot make it exponential.

/// Whether `text` matches `pattern`, where `many` stands for any run of characters
/// (including none) and `one` for exactly one; every other character matches itself.
pub fn matches(text: &[char], pattern: &[char], many: char, one: char) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(c) if *c == many => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(c) if *c == one || Some(c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == many))
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn like(text: &str, pattern: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        let p: Vec<char> = pattern.chars().collect();
        matches(&t, &p, '%', '_')
    }

    #[test]
    fn runs_single_characters_and_literals() {
        assert!(like("temperature", "temp%"));
        assert!(like("temperature", "%rat%"));
        assert!(like("temp", "t__p"));
        assert!(like("", "%"));
        assert!(!like("temp", "t_p"));
        assert!(!like("temp", "Temp"));
        assert!(like("a%b", "a%b"));
        assert!(like("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%b"));
        assert!(!like("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "%a%a%a%a%a%a%a%b"));
    }
}
