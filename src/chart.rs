//! Line charts as static SVG, drawn at build time for pages that show numbers people would
//! rather look at than read (a run's metrics over its steps, evaluation results with their
//! confidence intervals). The SVG has no script and no style attribute (nothing the CSP would
//! have to allow): every colour and line style comes from the theme's CSS through class
//! names, so one drawing serves the dark theme, the light one and print. Series differ by
//! dash pattern as well as colour. It is named for assistive technology (`role="img"`, a
//! `<title>` and a `<desc>`), and the same numbers go in a table beside it.
//!
//! Hand-written rather than a plotting crate's SVG backend: see BENCHMARKS.md ("Charts"). In
//! short, the crate's backend writes colours as inline attributes (no theming by CSS, no dark
//! mode), has no title or description, and its text layout depends on the fonts it is built
//! with; what is drawn here is a few hundred lines of polylines, lines and text.
//!
//! Output is byte-identical for the same input: coordinates are rounded to one decimal and
//! numbers formatted with a precision chosen from the tick step.

#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "a drawing: coordinates are floats, and the counts turned into them are small"
)]

use std::fmt::Write as _;

use crate::text::escape_html;

/// One chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    /// A prefix for the ids inside the SVG, unique on its page (`loss`).
    pub(crate) id: String,
    /// What it shows, one line: the SVG's `<title>`.
    pub(crate) title: String,
    /// What it shows in words, for those who do not see it: the SVG's `<desc>`.
    pub(crate) desc: String,
    /// The x axis's name (`step`).
    pub(crate) x_label: String,
    /// The y axis's name (`loss`).
    pub(crate) y_label: String,
    /// The lines, in legend order.
    pub(crate) series: Vec<Series>,
    /// Vertical marks on the x axis (restarts, failures, changes).
    pub(crate) markers: Vec<Marker>,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// Its name in the legend.
    pub(crate) name: String,
    /// Its points, in x order.
    pub(crate) points: Vec<Point>,
}

/// One point, with its 95% confidence interval when it has one (drawn as an error bar).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    /// Where on the x axis.
    pub(crate) x: f64,
    /// Its value.
    pub(crate) y: f64,
    /// The interval's low and high ends.
    pub(crate) ci: Option<(f64, f64)>,
}

/// A vertical mark at `x`, with a one-letter `tag` drawn at its top and a `label` shown on
/// hover. Nothing in a chart is a link (an image holds no controls): the page lists the marks
/// with their links beside it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    /// Where on the x axis.
    pub(crate) x: f64,
    /// The letter drawn (`R`, `F`, `C`).
    pub(crate) tag: char,
    /// What it is, in words.
    pub(crate) label: String,
    /// Its CSS class suffix (`restart` gives `chart-marker-restart`).
    pub(crate) class: &'static str,
}

/// The drawing's size in SVG units; it scales to its box.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
/// Room for the tick labels and axis names.
const LEFT: f64 = 72.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 28.0;
/// Up to this many marks, each is drawn across the plot with its tag; more, as ticks.
const MARKS_DRAWN: usize = 40;
/// The room a marker's tag takes on the axis.
const TAG: f64 = 12.0;
/// The band above the plot that holds the legend.
const LEGEND: f64 = 18.0;
const BOTTOM: f64 = 40.0;
/// At most this many points of a series are drawn per unit of plot width (min-max decimation
/// keeps every peak and trough).
const POINTS_PER_UNIT: f64 = 1.0;
/// Up to this many points per series, each point is also drawn as a dot.
const DOTS_UP_TO: usize = 60;
/// Series styles in the theme: `chart-s0` … `chart-s5`, then again.
const STYLES: usize = 6;

/// The chart as an SVG element, to be placed inline in a page.
pub(crate) fn svg(c: &Chart) -> String {
    let xs = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .chain(c.markers.iter().map(|m| m.x));
    let ys = c.series.iter().flat_map(|s| {
        s.points.iter().flat_map(|p| {
            std::iter::once(p.y).chain(p.ci.into_iter().flat_map(|(lo, hi)| [lo, hi]))
        })
    });
    // The x axis runs over the data; the y axis a little beyond, so no point sits on the
    // frame. Ticks are drawn where they fall inside.
    let (x0, x1) = span(xs);
    let (y0, y1) = span(ys);
    let pad = (y1 - y0) * 0.05;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let xt = ticks(x0, x1, 6);
    let yt = ticks(y0, y1, 5);
    // A legend, when there is more than one line, goes above the plot.
    let top = if c.series.len() > 1 {
        TOP + LEGEND
    } else {
        TOP
    };
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - top - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * plot_w;
    let sy = |y: f64| top + (y1 - y) / (y1 - y0) * plot_h;

    let id = escape_html(&c.id);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape_html(&c.title),
        escape_html(&c.desc)
    );
    // Grid and ticks.
    out.push_str("<g class=\"chart-grid\">");
    for v in yt.values() {
        let _ = write!(
            out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/>",
            n(LEFT),
            n(LEFT + plot_w),
            y = n(sy(v))
        );
    }
    out.push_str("</g><g class=\"chart-tick\">");
    for v in yt.values() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            n(LEFT - 6.0),
            n(sy(v) + 4.0),
            yt.format(v)
        );
    }
    for v in xt.values() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            n(sx(v)),
            n(top + plot_h + 16.0),
            xt.format(v)
        );
    }
    let _ = write!(
        out,
        "</g><g class=\"chart-axis\"><line x1=\"{l}\" x2=\"{r}\" y1=\"{b}\" y2=\"{b}\"/><line x1=\"{l}\" x2=\"{l}\" y1=\"{t}\" y2=\"{b}\"/></g>",
        l = n(LEFT),
        r = n(LEFT + plot_w),
        t = n(top),
        b = n(top + plot_h)
    );
    let _ = write!(
        out,
        "<g class=\"chart-label\"><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text transform=\"rotate(-90)\" x=\"{}\" y=\"14\" text-anchor=\"middle\">{}</text></g>",
        n(LEFT + plot_w / 2.0),
        n(HEIGHT - 6.0),
        escape_html(&c.x_label),
        n(-(top + plot_h / 2.0)),
        escape_html(&c.y_label)
    );
    if c.markers.len() <= MARKS_DRAWN {
        marks(&mut out, &c.markers, &sx, top, plot_h);
    } else {
        rug(&mut out, &c.markers, &sx, top + plot_h);
    }
    // The lines, their intervals and dots.
    for (i, s) in c.series.iter().enumerate() {
        let style = format!("chart-s{}", i % STYLES);
        let drawn = decimate(&s.points, (plot_w * POINTS_PER_UNIT) as usize);
        let mut points = String::new();
        for p in &drawn {
            if !points.is_empty() {
                points.push(' ');
            }
            let _ = write!(points, "{},{}", n(sx(p.x)), n(sy(p.y)));
        }
        let _ = write!(
            out,
            "<g class=\"chart-series {style}\"><polyline points=\"{points}\"/>"
        );
        // The intervals of the points drawn: a long series' every bar would be a blur.
        let intervals: Vec<&Point> = drawn.iter().filter(|p| p.ci.is_some()).collect();
        if !intervals.is_empty() {
            out.push_str("<path class=\"chart-ci\" d=\"");
            for p in intervals {
                let (lo, hi) = p.ci.unwrap_or((p.y, p.y));
                let (x, a, b) = (sx(p.x), sy(lo), sy(hi));
                let _ = write!(
                    out,
                    "M{} {}V{}M{} {}H{}M{} {}H{}",
                    n(x),
                    n(a),
                    n(b),
                    n(x - 4.0),
                    n(a),
                    n(x + 4.0),
                    n(x - 4.0),
                    n(b),
                    n(x + 4.0)
                );
            }
            out.push_str("\"/>");
        }
        if s.points.len() <= DOTS_UP_TO {
            for p in &s.points {
                let _ = write!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>",
                    n(sx(p.x)),
                    n(sy(p.y))
                );
            }
        }
        out.push_str("</g>");
    }
    // The legend, when there is more than one line, in the band above the plot.
    if c.series.len() > 1 {
        out.push_str("<g class=\"chart-legend\">");
        let mut x = LEFT;
        for (i, s) in c.series.iter().enumerate() {
            let _ = write!(
                out,
                "<g class=\"chart-series chart-s{}\"><line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/></g><text x=\"{}\" y=\"{}\">{}</text>",
                i % STYLES,
                n(x),
                n(x + 18.0),
                n(x + 22.0),
                n(LEGEND - 2.0),
                escape_html(&s.name),
                y = n(LEGEND - 6.0)
            );
            // An estimate of the name's width at the theme's largest chart text (18 units, on
            // phones): the legend only needs not to overlap itself.
            x += 34.0 + 10.0 * s.name.chars().count() as f64;
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Each mark as a line across the plot with its tag above; the tags go left to right, each at
/// least a tag's width from the one before, so marks at or near the same step stay readable.
fn marks(out: &mut String, markers: &[Marker], sx: &dyn Fn(f64) -> f64, top: f64, plot_h: f64) {
    let mut order: Vec<usize> = (0..markers.len()).collect();
    order.sort_by(|a, b| markers[*a].x.total_cmp(&markers[*b].x));
    let mut tags = vec![0.0; markers.len()];
    let mut last = f64::NEG_INFINITY;
    for i in order {
        last = sx(markers[i].x).max(last + TAG);
        tags[i] = last;
    }
    for (m, tag_x) in markers.iter().zip(&tags) {
        let x = n(sx(m.x));
        let tag_x = n(*tag_x);
        let _ = write!(
            out,
            "<g class=\"chart-marker chart-marker-{}\"><title>{}</title><line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/><text x=\"{tag_x}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            m.class,
            escape_html(&m.label),
            n(top),
            n(top + plot_h),
            n(top - 4.0),
            escape_html(&m.tag.to_string())
        );
    }
}

/// Too many marks to draw one by one: a short tick on the axis for each class and place (one
/// per drawing unit), one path per class, its title counting them.
fn rug(out: &mut String, markers: &[Marker], sx: &dyn Fn(f64) -> f64, bottom: f64) {
    let mut classes: Vec<&str> = markers.iter().map(|m| m.class).collect();
    classes.sort_unstable();
    classes.dedup();
    for class in classes {
        let of: Vec<&Marker> = markers.iter().filter(|m| m.class == class).collect();
        let mut at: Vec<i64> = of.iter().map(|m| sx(m.x).round() as i64).collect();
        at.sort_unstable();
        at.dedup();
        let mut d = String::new();
        for x in &at {
            let _ = write!(d, "M{x} {}v-8", n(bottom));
        }
        let _ = write!(
            out,
            "<g class=\"chart-marker chart-marker-{class} chart-rug\"><title>{} marks ({class}), each a tick on the axis</title><path d=\"{d}\"/></g>",
            of.len()
        );
    }
}

/// The smallest and largest of `values` (finite ones), widened when they are equal.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi <= lo {
        let pad = if lo.abs() < f64::MIN_POSITIVE {
            1.0
        } else {
            lo.abs() / 10.0
        };
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

/// Evenly spaced round ticks covering a range: from `first` to `last` by `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ticks {
    /// The range they cover.
    lo: f64,
    hi: f64,
    first: f64,
    last: f64,
    step: f64,
    /// Digits after the decimal point that the step needs.
    decimals: usize,
}

impl Ticks {
    /// The ticks inside the range they were made for.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.last - self.first) / self.step).round() as usize;
        let slack = self.step * 1e-6;
        (0..=count)
            .map(|i| self.first + i as f64 * self.step)
            .filter(move |v| *v >= self.lo - slack && *v <= self.hi + slack)
    }

    /// A tick's label: thousands grouped (`2,500`), from ten thousand on shortened (`20k`,
    /// `1.5M`).
    fn format(&self, v: f64) -> String {
        let v = if v.abs() < self.step / 2.0 { 0.0 } else { v };
        if self.decimals == 0 && v.abs() >= 10_000.0 {
            for (div, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
                if v.abs() >= div {
                    let short = v / div;
                    let digits = usize::from((short - short.round()).abs() >= 1e-9);
                    return format!("{short:.digits$}{suffix}");
                }
            }
        }
        if self.decimals == 0 && v.abs() < 1e15 {
            let grouped = crate::text::grouped(v.abs().round() as u64);
            return if v < 0.0 {
                format!("-{grouped}")
            } else {
                grouped
            };
        }
        format!("{v:.*}", self.decimals)
    }
}

/// About `want` round ticks (steps of 1, 2 or 5 times a power of ten) inside `lo..hi`: the
/// largest such step that still gives at least `want - 1` of them.
fn ticks(lo: f64, hi: f64, want: usize) -> Ticks {
    let raw = (hi - lo) / want.max(1) as f64;
    let mut power = 10f64.powf(raw.log10().floor());
    let mut steps = vec![];
    // From the first step at least `raw` down through smaller ones, a few decades deep.
    for _ in 0..4 {
        for m in [10.0, 5.0, 2.0, 1.0] {
            steps.push(m * power);
        }
        power /= 10.0;
    }
    let first = steps.iter().rposition(|s| *s >= raw).unwrap_or(0);
    let make = |step: f64| {
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10().floor()) as usize
        };
        // A hair of tolerance: 0.3 / 0.1 is 2.9999999999999996.
        Ticks {
            lo,
            hi,
            first: (lo / step + 1e-9).floor() * step,
            last: (hi / step - 1e-9).ceil() * step,
            step,
            decimals,
        }
    };
    let enough = want.saturating_sub(1).max(2);
    steps[first..]
        .iter()
        .map(|s| make(*s))
        .find(|t| t.values().count() >= enough)
        .unwrap_or_else(|| make(steps[first]))
}

/// At most about `budget` of `points`: per bucket of consecutive points, its first, lowest,
/// highest and last, in order, so every peak and trough is still drawn.
fn decimate(points: &[Point], budget: usize) -> Vec<Point> {
    let buckets = (budget / 4).max(1);
    if points.len() <= budget.max(4) {
        return points.to_vec();
    }
    let per = points.len().div_ceil(buckets);
    let mut out = vec![];
    for chunk in points.chunks(per) {
        let mut keep = vec![0, chunk.len() - 1];
        let by = |f: fn(f64, f64) -> bool| {
            (0..chunk.len()).fold(0, |best, i| {
                if f(chunk[i].y, chunk[best].y) {
                    i
                } else {
                    best
                }
            })
        };
        keep.push(by(|a, b| a < b));
        keep.push(by(|a, b| a > b));
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|i| chunk[i]));
    }
    out
}

/// A coordinate, to one decimal place (`12.0` is written `12`).
fn n(v: f64) -> String {
    // Adding 0.0 turns -0.0 into 0.0.
    let text = format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0);
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: Vec<Series>, markers: Vec<Marker>) -> Chart {
        Chart {
            id: "loss".to_owned(),
            title: "Loss <by> step".to_owned(),
            desc: "loss falls".to_owned(),
            x_label: "step".to_owned(),
            y_label: "loss".to_owned(),
            series,
            markers,
        }
    }

    fn line(name: &str, points: &[(f64, f64)]) -> Series {
        Series {
            name: name.to_owned(),
            points: points
                .iter()
                .map(|&(x, y)| Point { x, y, ci: None })
                .collect(),
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let t = ticks(0.0, 49_900.0, 6);
        assert_eq!(
            (t.first, t.last, t.step, t.decimals),
            (0.0, 50_000.0, 10_000.0, 0)
        );
        // Only the ticks inside the range: 50k is past 49,900.
        assert_eq!(
            t.values().map(|v| t.format(v)).collect::<Vec<_>>(),
            ["0", "10k", "20k", "30k", "40k"]
        );
        let t = ticks(0.0, 6_250.0, 6);
        assert_eq!(
            t.values().map(|v| t.format(v)).collect::<Vec<_>>(),
            ["0", "1,000", "2,000", "3,000", "4,000", "5,000", "6,000"]
        );
        // Steps of 1 would give only 3 ticks inside 0.21..3.2: halves give 6.
        let t = ticks(0.21, 3.2, 5);
        assert_eq!((t.step, t.decimals), (0.5, 1));
        assert_eq!(t.values().count(), 6);
        let t = ticks(0.3, 0.7, 5);
        assert_eq!(t.decimals, 1);
        // No 0.30000000000000004.
        assert_eq!(
            t.values().map(|v| t.format(v)).collect::<Vec<_>>(),
            ["0.3", "0.4", "0.5", "0.6", "0.7"]
        );
        let t = ticks(-0.02, 0.02, 4);
        assert!(t.values().any(|v| t.format(v) == "0.00"));
    }

    #[test]
    fn a_chart_is_named_for_assistive_technology_and_styled_only_by_classes() {
        let svg = svg(&chart(
            vec![line("run-a", &[(0.0, 3.0), (100.0, 2.0)])],
            vec![],
        ));
        assert!(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 640 260\" role=\"img\" aria-labelledby=\"loss-title loss-desc\""));
        assert!(svg.contains("<title id=\"loss-title\">Loss &lt;by&gt; step</title><desc id=\"loss-desc\">loss falls</desc>"));
        for never in ["style=", "fill=\"#", "stroke=\"#", "<script"] {
            assert!(!svg.contains(never), "{never} in {svg}");
        }
        // One line, no legend.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(!svg.contains("chart-legend"));
    }

    #[test]
    fn markers_intervals_and_legend_are_drawn() {
        let mut b = line("run-b", &[(200.0, 0.5), (300.0, 0.6)]);
        b.points[0].ci = Some((0.45, 0.55));
        let svg = svg(&chart(
            vec![line("run-a", &[(0.0, 0.3), (100.0, 0.4)]), b],
            vec![Marker {
                x: 150.0,
                tag: 'R',
                label: "restart from step 100 (#7)".to_owned(),
                class: "restart",
            }],
        ));
        assert!(svg.contains("<g class=\"chart-marker chart-marker-restart\"><title>restart from step 100 (#7)</title>"));
        assert!(!svg.contains("<a "), "no links inside an image");
        assert!(svg.contains("<g class=\"chart-series chart-s1\"><polyline"));
        assert_eq!(svg.matches("<path class=\"chart-ci\"").count(), 1);
        assert!(svg.contains("<g class=\"chart-legend\">"));
        assert!(svg.contains(">run-b</text>"));
    }

    #[test]
    fn the_same_input_draws_the_same_bytes_and_many_points_are_decimated() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (f64::from(i), (f64::from(i) / 300.0).sin()))
            .collect();
        let c = chart(vec![line("run", &points)], vec![]);
        let a = svg(&c);
        assert_eq!(a, svg(&c));
        let drawn = a.split("points=\"").nth(1).unwrap();
        let drawn = drawn[..drawn.find('"').unwrap()].split(' ').count();
        assert!(drawn <= 560 + 4, "{drawn} points drawn");
        // Peaks survive: the highest drawn point is the top of the data, 5% below the frame.
        let plot_h = HEIGHT - TOP - BOTTOM;
        let peak = n(TOP + plot_h * 0.05 / 1.1);
        assert!(
            a.contains(&format!(",{peak} ")),
            "the peak ({peak}) is drawn"
        );
        // No dots on a long series.
        assert!(!a.contains("<circle"));
    }

    #[test]
    fn many_marks_become_ticks_on_the_axis_one_path_per_class() {
        let markers: Vec<Marker> = (0..300)
            .map(|i| Marker {
                x: f64::from(i % 150),
                tag: 'F',
                label: format!("failure {i}"),
                class: if i % 3 == 0 { "restart" } else { "failure" },
            })
            .collect();
        let svg = svg(&chart(
            vec![line("run", &[(0.0, 1.0), (150.0, 2.0)])],
            markers,
        ));
        assert_eq!(svg.matches("chart-rug").count(), 2, "{svg}");
        assert!(svg.contains("<title>200 marks (failure), each a tick on the axis</title>"));
        assert!(svg.contains("<title>100 marks (restart), each a tick on the axis</title>"));
        // Each place once per class, and no tag letters.
        let failure = &svg[svg.find("chart-marker-failure chart-rug").unwrap()..];
        let d = &failure[failure.find(" d=\"").unwrap() + 4..];
        let d = &d[..d.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 100, "{d}");
        assert!(!svg.contains(">F</text>"));
    }

    #[test]
    fn empty_or_flat_input_still_draws_an_axis() {
        let svg = svg(&chart(vec![line("run", &[(5.0, 1.0)])], vec![]));
        assert!(svg.contains("chart-axis"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let svg = super::svg(&chart(vec![], vec![]));
        assert!(svg.contains("chart-axis"));
    }
}
