//! Bar charts as SVG, drawn on the server: a fixed `viewBox`, axis labels, a `<title>` on
//! every bar (the hover text), colours from CSS classes only (`app.css`, `.chart …`), no
//! script and no `style` attribute (the Content-Security-Policy allows neither). Every
//! text is escaped here, because the page inserts the chart as markup.
//!
//! The plot always runs left to right (`direction="ltr"`), also on right-to-left pages,
//! like the numbers it shows; on those, each text made of words is isolated as
//! right-to-left (U+2067 … U+2069) so that Persian words, digits and `%` keep their order.
//! Legends and explanations live in the HTML around the chart.

use std::fmt::Write as _;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 46.0;
/// At most this many labels under the x axis (every n-th bar is labelled beyond).
const MAX_X_LABELS: usize = 16;

/// One bar: its segments stacked bottom up.
#[derive(Clone, Debug, Default)]
pub struct Bar {
    /// The label under the bar.
    pub label: String,
    /// (value, CSS class) of each segment, bottom first.
    pub segments: Vec<(f64, &'static str)>,
    /// The hover text.
    pub title: String,
}

/// A horizontal dashed line across the plot.
#[derive(Clone, Debug)]
pub struct Target {
    /// Its height, in the chart's units.
    pub value: f64,
    /// Its label, drawn at the end of the line.
    pub label: String,
}

/// A bar chart.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// What the chart shows (the SVG's accessible name).
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// The y axis label.
    pub y_label: String,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
    /// A fixed top of the y axis (e.g. 1 for a ratio); else a round number above the
    /// tallest bar.
    pub y_max: Option<f64>,
    /// An optional target line.
    pub target: Option<Target>,
    /// Shown in the middle of the plot when there is no bar to draw.
    pub empty_text: String,
    /// Whether the texts are in a right-to-left language.
    pub rtl: bool,
}

impl Chart {
    /// A text made of words, escaped, isolated as right-to-left on right-to-left pages.
    fn words(&self, text: &str) -> String {
        if self.rtl {
            format!("\u{2067}{}\u{2069}", escape(text))
        } else {
            escape(text)
        }
    }
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1).
fn nice_ceiling(value: f64) -> f64 {
    if value.is_nan() || value <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|&top| top >= value)
        .unwrap_or(10.0 * magnitude)
}

/// The plot area of a chart and its y scale.
struct Frame {
    /// The plot's width.
    plot_w: f64,
    /// The plot's height.
    plot_h: f64,
    /// The plot's bottom edge (the x axis).
    bottom: f64,
    /// The value at the top of the plot.
    y_max: f64,
}

impl Frame {
    /// The frame of `chart`: its fixed top, else a round number above the tallest bar.
    fn of(chart: &Chart) -> Self {
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let bottom = TOP + plot_h;
        let tallest = chart
            .bars
            .iter()
            .map(|b| b.segments.iter().map(|(v, _)| v.max(0.0)).sum::<f64>())
            .fold(0.0, f64::max);
        let y_max = chart
            .y_max
            .filter(|m| *m > 0.0)
            .unwrap_or_else(|| nice_ceiling(tallest));
        Frame {
            plot_w,
            plot_h,
            bottom,
            y_max,
        }
    }

    /// The height in the drawing of `value` (clamped to the plot).
    fn y(&self, value: f64) -> f64 {
        self.bottom - (value.clamp(0.0, self.y_max) / self.y_max) * self.plot_h
    }
}

/// Draws `chart`; `tick` writes a y-axis value (the reader's digits, `%` for ratios).
pub fn bar_chart(chart: &Chart, tick: &dyn Fn(f64) -> String) -> String {
    let frame = Frame::of(chart);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" direction="ltr" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        chart.words(&chart.title)
    );
    write_grid(&mut svg, &frame, tick);
    write_bars(&mut svg, chart, &frame);
    if let Some(target) = &chart.target {
        let at = frame.y(target.value);
        let _ = write!(
            svg,
            r#"<line class="target" x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}"/><text class="target-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            at - 4.0,
            chart.words(&target.label)
        );
    }
    let _ = write!(
        svg,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-label" transform="translate(12 {:.1}) rotate(-90)" text-anchor="middle">{}</text></svg>"#,
        LEFT + frame.plot_w / 2.0,
        HEIGHT - 6.0,
        chart.words(&chart.x_label),
        TOP + frame.plot_h / 2.0,
        chart.words(&chart.y_label)
    );
    svg
}

/// The grid lines and y ticks (0, ¼, ½, ¾ and the top), then the x axis.
fn write_grid(svg: &mut String, frame: &Frame, tick: &dyn Fn(f64) -> String) {
    for i in 0..=4 {
        let value = frame.y_max * f64::from(i) / 4.0;
        let at = frame.y(value);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            at + 4.0,
            escape(&tick(value))
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        frame.bottom,
        WIDTH - RIGHT,
        frame.bottom
    );
}

/// The bars, each with its hover title and (every few bars) its label; when no bar has
/// anything to draw, the chart's empty text first.
fn write_bars(svg: &mut String, chart: &Chart, frame: &Frame) {
    let drawn = &chart.bars;
    if drawn
        .iter()
        .all(|b| b.segments.iter().all(|(v, _)| *v <= 0.0))
    {
        let _ = write!(
            svg,
            r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + frame.plot_w / 2.0,
            TOP + frame.plot_h / 2.0,
            chart.words(&chart.empty_text)
        );
    }
    let slot = frame.plot_w / drawn.len().max(1) as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let label_every = drawn.len().div_ceil(MAX_X_LABELS).max(1);
    for (i, bar) in drawn.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let _ = write!(
            svg,
            r#"<g class="bar"><title>{}</title>"#,
            chart.words(&bar.title)
        );
        write_segments(svg, bar, frame, x, bar_w);
        // An invisible full-height rect, so that empty bars still show their title.
        let _ = write!(
            svg,
            r#"<rect class="hover" x="{:.1}" y="{TOP}" width="{slot:.1}" height="{:.1}"/></g>"#,
            LEFT + slot * i as f64,
            frame.plot_h
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                frame.bottom + 14.0,
                escape(&bar.label)
            );
        }
    }
}

/// The segments of `bar`, stacked bottom up, `bar_w` wide from `x`.
fn write_segments(svg: &mut String, bar: &Bar, frame: &Frame, x: f64, bar_w: f64) {
    let mut base = 0.0;
    for (value, class) in &bar.segments {
        let value = value.max(0.0);
        if value > 0.0 {
            let (top, low) = (frame.y(base + value), frame.y(base));
            let _ = write!(
                svg,
                r#"<rect class="{}" x="{x:.1}" y="{top:.1}" width="{bar_w:.1}" height="{:.1}"/>"#,
                escape(class),
                (low - top).max(0.0)
            );
        }
        base += value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(value: f64) -> String {
        format!("{value}")
    }

    #[test]
    fn every_text_is_escaped() {
        let chart = Chart {
            title: "<script>alert(1)</script>".into(),
            x_label: "a & b".into(),
            y_label: "\"quoted\"".into(),
            bars: vec![Bar {
                label: "<b>".into(),
                segments: vec![(3.0, "answered"), (1.0, "abandoned")],
                title: "it's <img src=x onerror=alert(1)>".into(),
            }],
            target: Some(Target {
                value: 2.0,
                label: "</svg>".into(),
            }),
            ..Chart::default()
        };
        let svg = bar_chart(&chart, &plain);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("it&#39;s &lt;img"));
        assert!(svg.contains("a &amp; b") && svg.contains("&quot;quoted&quot;"));
        assert!(!svg.contains("style="), "colours come from classes");
        assert_eq!(svg.matches("<title>").count(), 1);
        assert_eq!(svg.matches(r#"<rect class="answered""#).count(), 1);
        assert!(svg.contains(r#"class="target""#));
    }

    #[test]
    fn empty_data_draws_axes_and_says_so() {
        let chart = Chart {
            empty_text: "No calls".into(),
            ..Chart::default()
        };
        let svg = bar_chart(&chart, &plain);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("No calls"));
        assert!(!svg.contains("<rect"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let zeros = Chart {
            bars: vec![Bar::default(); 3],
            ..chart
        };
        let svg = bar_chart(&zeros, &plain);
        assert_eq!(svg.matches("<title>").count(), 3);
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn right_to_left_words_are_isolated_and_numbers_are_not() {
        let chart = Chart {
            x_label: "روز".into(),
            bars: vec![Bar {
                label: "۰۹-۰۱".into(),
                segments: vec![(1.0, "seg-wait")],
                title: "<هدف>".into(),
            }],
            rtl: true,
            ..Chart::default()
        };
        let svg = bar_chart(&chart, &plain);
        assert!(svg.contains("\u{2067}روز\u{2069}"), "{svg}");
        assert!(
            svg.contains("<title>\u{2067}&lt;هدف&gt;\u{2069}</title>"),
            "{svg}"
        );
        assert!(svg.contains(">۰۹-۰۱<"), "{svg}");
    }

    #[test]
    fn bars_scale_to_a_round_top() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(41.0), 50.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        let chart = Chart {
            bars: vec![Bar {
                segments: vec![(5.0, "answered")],
                ..Bar::default()
            }],
            ..Chart::default()
        };
        let svg = bar_chart(&chart, &plain);
        // 5 of a top of 5: the bar is the plot's full height.
        assert!(svg.contains(r#"height="200.0""#), "{svg}");
        let many = Chart {
            bars: vec![Bar::default(); 60],
            ..Chart::default()
        };
        let labels = bar_chart(&many, &plain).matches(r#"class="label""#).count();
        assert!(labels <= MAX_X_LABELS, "{labels}");
    }
}
