//! `kramers fit-tail`: the heavy-tail fit of real samples (a trained
//! network's weights, say) — Student-t maximum likelihood with the tail index
//! kappa it implies for the power-law dynamic, Hill estimates — and its Q-Q
//! plots against the normal and the fitted Student-t.

use crate::analysis::tail_fit::{fit_tail, qq_normal, qq_student_t, read_samples};
use crate::error::Result;
use crate::report::qq_plot::qq_plot_png;
use std::path::Path;

/// `writeln!` into a `String` (which cannot fail).
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        writeln!($out, $($arg)*).expect("a String takes any text");
    }};
}

/// Fit the tail of the samples in `file` (its `column` of a CSV), draw the
/// Q-Q plots into `out`, and return what `kramers fit-tail` prints.
pub fn fit_and_plot(file: &Path, column: Option<&str>, out: &Path) -> Result<String> {
    let mut text = String::new();
    let samples = read_samples(file, column)?;
    let fit = fit_tail(&samples);
    say!(
        text,
        "{}: {} values, mean {:.6e}, sd {:.6e}",
        file.display(),
        fit.n,
        fit.mean,
        fit.sd
    );
    match &fit.student_t {
        Some(t) => {
            say!(
                text,
                "Student-t MLE: nu = {:.4} [{:.4}, {:.4}], scale = {:.6e}, location = {:.6e}",
                t.nu,
                t.nu_interval.lo,
                t.nu_interval.hi,
                t.scale,
                t.location
            );
            say!(
        text,
                "  kappa = (nu - 1)/2 = {:.4} [{:.4}, {:.4}] (Ito/SGD reading, alpha = 0; 95% Wald)",
                t.kappa, t.kappa_interval.lo, t.kappa_interval.hi
            );
        }
        None => say!(
            text,
            "Student-t MLE: no finite fit (nearly Gaussian sample: nu -> inf)"
        ),
    }
    for h in &fit.hill {
        say!(
            text,
            "Hill tail index (k = {}): a = {:.4} [{:.4}, {:.4}] (a Student-t's nu)",
            h.k,
            h.index,
            h.interval.lo,
            h.interval.hi
        );
    }
    crate::report::atomic::create_dir(out)?;
    let normal = out.join("qq-normal.png");
    qq_plot_png(
        &normal,
        "Q-Q against the normal law (sample mean, sd)",
        "normal quantile",
        &qq_normal(&samples, &fit),
    )?;
    say!(text, "wrote {}", normal.display());
    if let (Some(points), Some(t)) = (qq_student_t(&samples, &fit), &fit.student_t) {
        let path = out.join("qq-student-t.png");
        qq_plot_png(
            &path,
            &format!("Q-Q against the fitted Student-t (nu = {:.2})", t.nu),
            "Student-t quantile",
            &points,
        )?;
        say!(text, "wrote {}", path.display());
    }
    Ok(text)
}
