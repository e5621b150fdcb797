//! The `box` format's options (`boxStyle`, `boxSeparateColumns`, `boxDrawBorder`) and the
//! characters of go-pretty's five table styles the peer offers (reference §3.4).

/// `boxStyle`: go-pretty's `StyleDefault`, `StyleBold`, `StyleDouble`, `StyleLight`,
/// `StyleRounded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxStyle {
    Default,
    Bold,
    Double,
    Light,
    Round,
}

impl BoxStyle {
    /// The parameter's value, case-sensitive as the peer's `switch`; anything else is
    /// `default`.
    pub fn parse(name: &str) -> BoxStyle {
        match name {
            "bold" => BoxStyle::Bold,
            "double" => BoxStyle::Double,
            "light" => BoxStyle::Light,
            "round" => BoxStyle::Round,
            _ => BoxStyle::Default,
        }
    }

    pub(super) fn chars(self) -> &'static BoxChars {
        match self {
            BoxStyle::Default => &DEFAULT,
            BoxStyle::Bold => &BOLD,
            BoxStyle::Double => &DOUBLE,
            BoxStyle::Light => &LIGHT,
            BoxStyle::Round => &ROUND,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxOptions {
    pub style: BoxStyle,
    /// `boxSeparateColumns`: a vertical line between columns (default true).
    pub separate_columns: bool,
    /// `boxDrawBorder`: the outer frame (default true).
    pub draw_border: bool,
}

/// A style's characters. Each junction triple is left end, crossing, right end.
pub(super) struct BoxChars {
    pub horizontal: &'static str,
    pub vertical: &'static str,
    pub top: [&'static str; 3],
    pub middle: [&'static str; 3],
    pub bottom: [&'static str; 3],
}

const DEFAULT: BoxChars = BoxChars {
    horizontal: "-",
    vertical: "|",
    top: ["+", "+", "+"],
    middle: ["+", "+", "+"],
    bottom: ["+", "+", "+"],
};

const BOLD: BoxChars = BoxChars {
    horizontal: "━",
    vertical: "┃",
    top: ["┏", "┳", "┓"],
    middle: ["┣", "╋", "┫"],
    bottom: ["┗", "┻", "┛"],
};

const DOUBLE: BoxChars = BoxChars {
    horizontal: "═",
    vertical: "║",
    top: ["╔", "╦", "╗"],
    middle: ["╠", "╬", "╣"],
    bottom: ["╚", "╩", "╝"],
};

const LIGHT: BoxChars = BoxChars {
    horizontal: "─",
    vertical: "│",
    top: ["┌", "┬", "┐"],
    middle: ["├", "┼", "┤"],
    bottom: ["└", "┴", "┘"],
};

const ROUND: BoxChars = BoxChars {
    horizontal: "─",
    vertical: "│",
    top: ["╭", "┬", "╮"],
    middle: ["├", "┼", "┤"],
    bottom: ["╰", "┴", "╯"],
};
