//! Wildcard matching shared by SQL `LIKE` (`%`, `_`) and the Machbase UI API's table-name
//! globs (`*`, `?`). There is no escape character: the two wildcards always are wildcards.
//!
//! A pattern is compiled once into a `Pattern`, with every run of the "any run" wildcard
//! collapsed into one (`%%%b` is `%b`, same matches), so a query with a constant `LIKE`
//! pattern prepares it once, not per row, and a million `%` cost one step, not a million.
//!
//! Matching is iterative with one backtrack point, the last "any run" wildcard seen: on a
//! mismatch it only lets that one absorb one more character. That is complete, because the
//! segment between two wildcards matched at its leftmost place leaves the most text for the
//! rest. So a match takes at most (pattern length + 1) × (text length + 1) steps, whatever
//! the pattern: one from the network cannot make it exponential.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern's characters, runs of `many` collapsed into one.
    chars: Vec<char>,
    many: char,
    one: char,
}

impl Pattern {
    /// Compiles `pattern`, where `many` stands for any run of characters (including none)
    /// and `one` for exactly one; every other character matches itself.
    pub fn new(pattern: impl IntoIterator<Item = char>, many: char, one: char) -> Pattern {
        let mut chars: Vec<char> = Vec::new();
        for c in pattern {
            if c == many && chars.last() == Some(&many) {
                continue;
            }
            chars.push(c);
        }
        Pattern { chars, many, one }
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        self.run(|t| {
            let c = text.get(t..)?.chars().next()?;
            Some((c, t + c.len_utf8()))
        })
    }

    /// `matches` for text already split into characters.
    pub fn matches_chars(&self, text: &[char]) -> bool {
        self.run(|t| text.get(t).map(|&c| (c, t + 1)))
    }

    /// The matcher. `at(t)` is the character at text position `t` and the position after
    /// it, `None` at the end of the text.
    fn run(&self, at: impl Fn(usize) -> Option<(char, usize)>) -> bool {
        let (mut t, mut p) = (0, 0);
        // The last `many` seen: the pattern position after it and the text position where
        // what it absorbs ends (it absorbs the text from where it was seen up to there).
        let mut backtrack: Option<(usize, usize)> = None;
        while let Some((c, next)) = at(t) {
            match self.chars.get(p) {
                Some(&pc) if pc == self.many => {
                    backtrack = Some((p + 1, t));
                    p += 1;
                }
                Some(&pc) if pc == self.one || pc == c => {
                    p += 1;
                    t = next;
                }
                _ => {
                    // The rest failed after the last `many`: let it absorb one more
                    // character (there is one: `end <= t`) and try the rest from there.
                    let Some((after, end)) = backtrack else {
                        return false;
                    };
                    let Some((_, end)) = at(end) else {
                        return false;
                    };
                    backtrack = Some((after, end));
                    p = after;
                    t = end;
                }
            }
        }
        // The text is used up: what is left of the pattern must match nothing, and after
        // the collapse that is at most one `many`.
        self.chars
            .get(p..)
            .is_some_and(|rest| rest.iter().all(|&c| c == self.many))
    }
}

/// Whether `text` matches `pattern`, where `many` stands for any run of characters
/// (including none) and `one` for exactly one; every other character matches itself.
pub fn matches(text: &[char], pattern: &[char], many: char, one: char) -> bool {
    Pattern::new(pattern.iter().copied(), many, one).matches_chars(text)
}

#[cfg(test)]
mod tests {
    use super::{Pattern, matches};

    fn like(text: &str, pattern: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        let p: Vec<char> = pattern.chars().collect();
        let compiled = Pattern::new(pattern.chars(), '%', '_');
        assert_eq!(
            compiled.matches(text),
            compiled.matches_chars(&t),
            "{text:?} {pattern:?}: str and chars differ"
        );
        assert_eq!(
            compiled.matches(text),
            matches(&t, &p, '%', '_'),
            "{text:?} {pattern:?}: compiled and one-off differ"
        );
        compiled.matches(text)
    }

    /// The definition, by exhaustive backtracking: exponential, for short inputs only.
    fn reference(text: &[char], pattern: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|i| reference(&text[i..], rest)),
            Some(('_', rest)) => !text.is_empty() && reference(&text[1..], rest),
            Some((c, rest)) => text.first() == Some(c) && reference(&text[1..], rest),
        }
    }

    #[test]
    fn runs_single_characters_and_literals() {
        assert!(like("temperature", "temp%"));
        assert!(like("temperature", "%rat%"));
        assert!(like("temp", "t__p"));
        assert!(like("", "%"));
        assert!(like("", "%%%"));
        assert!(!like("", "_"));
        assert!(!like("temp", "t_p"));
        assert!(!like("temp", "Temp"));
        assert!(like("a%b", "a%b"));
        assert!(like("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%b"));
        assert!(!like("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "%a%a%a%a%a%a%a%b"));
        assert!(like("été", "_t_"));
        assert!(like("ünïcødé", "%ø%"));
        assert!(!like("ünïcødé", "%ø"));
    }

    #[test]
    fn globs_use_their_own_wildcards() {
        let glob = |name: &str, pattern: &str| {
            let n: Vec<char> = name.chars().collect();
            let p: Vec<char> = pattern.chars().collect();
            matches(&n, &p, '*', '?')
        };
        assert!(glob("EXAMPLE", "EX*"));
        assert!(glob("EXAMPLE", "?XAMPL?"));
        assert!(glob("EXAMPLE", "**E**"));
        assert!(!glob("EXAMPLE", "EX%"));
        assert!(glob("EX%", "EX%"));
        assert!(!glob("EXAMPLE", "?"));
    }

    #[test]
    fn agrees_with_exhaustive_backtracking_on_random_short_inputs() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: u64| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
        };
        let text_chars = ['a', 'b', 'é'];
        let pattern_chars = ['a', 'b', 'é', '%', '%', '_'];
        for _ in 0..50_000 {
            let text: String = (0..next(9)).map(|_| text_chars[next(3) as usize]).collect();
            let pattern: String = (0..next(8))
                .map(|_| pattern_chars[next(6) as usize])
                .collect();
            let t: Vec<char> = text.chars().collect();
            let p: Vec<char> = pattern.chars().collect();
            assert_eq!(
                like(&text, &pattern),
                reference(&t, &p),
                "{text:?} like {pattern:?}"
            );
        }
    }

    /// A hundred thousand `%` before one more character, against a long text without it:
    /// one `%` after the collapse, and one pass over the text.
    #[test]
    fn a_long_run_of_percent_signs_is_one_step() {
        let pattern = format!("{}b", "%".repeat(100_000));
        let compiled = Pattern::new(pattern.chars(), '%', '_');
        assert_eq!(compiled, Pattern::new("%b".chars(), '%', '_'));
        let text = "a".repeat(100_000);
        assert!(!compiled.matches(&text));
        assert!(compiled.matches(&format!("{text}b")));
        let segments = format!("{}b", "%a".repeat(20_000));
        assert!(!Pattern::new(segments.chars(), '%', '_').matches(&text));
    }
}
