//! `expr`: a potential written as a formula, `u = "h * (x^2 - 1)^2"`, over
//! `x` (1-D) or `x1 .. x8` and the file's `[params]` (grammar: [`crate::expr`]).
//! Not separable in general: the kernels evaluate its gradient (derived
//! symbolically) over the whole state at once (`POTENTIAL_STATE`). Its slots
//! are the parameters it reads. The theory reads the same formula in f64;
//! the minimum a run starts in and the top of `exit.kind = "top"` are found
//! numerically ([`Expr::locate`]).

use super::{Builder, Physics, PotentialModel, Setup};
use crate::error::{Error, Result};
use crate::expr::{parse, Graph, Program, Scope, Wrt};
use crate::kernel::abi::CaseParams;
use crate::kernel::potentials::Potential;
use crate::kernel::AnyDim;
use crate::simd::{Lanes, Scratch, LANES};
use crate::model::formula::{self, slot_axes};
use crate::model::PotentialParams;
use crate::sweep::Axes;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;
use std::sync::Arc;

/// The `[potential]` fields of `kind = "expr"`: the formula `u`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    u: String,
}

/// The compiled formula, shared by every case of an experiment.
#[derive(Debug, PartialEq)]
pub struct Formula {
    /// The formula as written (`potential.u`).
    pub source: String,
    /// Number of coordinates it reads (the experiment's `dim`).
    pub dim: usize,
    /// The parameters it reads, in slot order.
    pub slots: Vec<String>,
    /// `[u]`.
    pub value: Program,
    /// `[du/dx1, .., du/dx_dim]`.
    pub gradient: Program,
    /// `[du/dx1, .., du/dx_dim, u]`: a step whose noise reads the loss.
    pub gradient_value: Program,
    /// `[d2u/dx1^2]` (1-D theory).
    pub curvature: Program,
    /// The switching functions of its `if`, `min`, `max` and `abs` (kinks).
    pub switches: Program,
}

impl Formula {
    /// Parse `source` over `dim` coordinates and the `[params]` names `params`, and compile
    /// its value, derivatives and switches; errors name `potential.u`.
    pub fn new(source: &str, dim: usize, params: &[String]) -> Result<Formula> {
        let mut graph = Graph::default();
        let mut slots = Vec::new();
        let scope = Scope {
            field: "potential.u",
            dim,
            loss: false,
            params,
        };
        let u = parse(&mut graph, source, &scope, &mut slots)?;
        let gradient: Vec<_> = (0..dim).map(|k| graph.d(u, Wrt::Var(k as u8))).collect();
        let curvature = graph.d(gradient[0], Wrt::Var(0));
        let switches = graph.switches(u);
        let mut with_value = gradient.clone();
        with_value.push(u);
        Ok(Formula {
            source: source.to_string(),
            dim,
            slots,
            value: Program::compile(&graph, &[u]),
            gradient: Program::compile(&graph, &gradient),
            gradient_value: Program::compile(&graph, &with_value),
            curvature: Program::compile(&graph, &[curvature]),
            switches: Program::compile(&graph, &switches),
        })
    }

    /// `user_potential_gradient` and `user_potential_value` of the generated WGSL.
    pub fn wgsl(&self) -> String {
        let (body, outputs) = self.gradient.wgsl("    ", "g", "p.potential", "x", "0.0", "0.0");
        let mut out = format!(
            "// potential.u = {:?}\nfn user_potential_gradient(p: CaseParams, x: array<f32, DIM>) -> array<f32, DIM> {{\n{body}    var out: array<f32, DIM>;\n",
            self.source
        );
        for (k, o) in outputs.iter().enumerate() {
            out += &format!("    out[{k}] = {o};\n");
        }
        out += "    return out;\n}\n";
        let (body, outputs) = self.value.wgsl("    ", "v", "p.potential", "x", "0.0", "0.0");
        out += &format!(
            "fn user_potential_value(p: CaseParams, x: array<f32, DIM>) -> f32 {{\n{body}    return {};\n}}\n",
            outputs[0]
        );
        out
    }
}

/// Where a case's run starts and leaves, found from the formula.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located {
    /// The minimum of the basin the run starts in (every coordinate).
    pub minimum: Vec<f64>,
    /// 1-D: the nearest local maximum right of the minimum.
    pub top: Option<f64>,
    /// 1-D: a point between minimum and top where the formula switches branch.
    pub kink: Option<f64>,
    /// `u` at the minimum.
    pub loss_minimum: f64,
    /// 1-D: the largest curvature between the mirror of the top and the top.
    pub basin_curvature: Option<f64>,
}

/// One case's potential: the formula and its parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The compiled formula (shared by every case).
    pub formula: Arc<Formula>,
    /// This case's values of the parameters the formula reads, in slot order.
    pub values: Vec<f64>,
    /// The minimum, top and kink found by [`Expr::locate`] (default until it runs).
    pub located: Located,
}

/// How far the searches for a minimum, a top and kinks look.
const SEARCH_SPAN: f64 = 1e3;
/// The default start is looked for on this interval.
const DEFAULT_WINDOW: (f64, f64) = (-10.0, 10.0);

impl Expr {
    fn eval(&self, program: &Program, x: &[f64]) -> f64 {
        program.eval(x, 0.0, 0.0, &self.values)[0]
    }

    fn gradient_1d(&self, x: f64) -> f64 {
        self.eval(&self.formula.gradient, &[x])
    }

    /// `u` at a point of every coordinate.
    pub fn value_at(&self, x: &[f64]) -> f64 {
        self.eval(&self.formula.value, x)
    }

    /// The gradient at a point.
    pub fn gradient_at(&self, x: &[f64]) -> Vec<f64> {
        self.formula.gradient.eval(x, 0.0, 0.0, &self.values)
    }

    /// Find the minimum of the basin of `start` (without one, in 1-D, the
    /// lowest local minimum on [-10, 10], the leftmost of equals), in 1-D the
    /// top right of it, the kink between them and the basin's curvature.
    pub fn locate(&mut self, start: Option<&[f64]>) -> Result<()> {
        let dim = self.formula.dim;
        if dim > 1 {
            let Some(start) = start else {
                return Err(Error::invalid(
                    "start_point",
                    "not given",
                    format!("a start point (`start_point = [..]` of {dim} numbers, or `start`) for potential.kind = \"expr\" in dim > 1"),
                ));
            };
            let minimum = self.descend(start);
            self.located = Located {
                loss_minimum: self.value_at(&minimum),
                minimum,
                top: None,
                kink: None,
                basin_curvature: None,
            };
            return Ok(());
        }
        let minimum = match start {
            Some(s) => self.basin_minimum(s[0])?,
            None => self.default_minimum()?,
        };
        let top = self.top_right_of(minimum);
        let kink = top.and_then(|t| self.first_switch(minimum, t));
        let basin_curvature = top.map(|t| {
            let (lo, hi) = (2.0 * minimum - t, t);
            (0..=2000)
                .map(|i| self.eval(&self.formula.curvature, &[lo + (hi - lo) * i as f64 / 2000.0]))
                .filter(|c| c.is_finite())
                .fold(0.0, f64::max)
        });
        self.located = Located {
            minimum: vec![minimum],
            top,
            kink,
            loss_minimum: self.value_at(&[minimum]),
            basin_curvature,
        };
        Ok(())
    }

    /// A root of the gradient between `a` and `b`, where it changes sign, by bisection.
    fn root(&self, mut a: f64, mut b: f64) -> f64 {
        let mut ga = self.gradient_1d(a);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if m == a || m == b {
                break;
            }
            let gm = self.gradient_1d(m);
            if gm == 0.0 {
                return m;
            }
            if (gm > 0.0) == (ga > 0.0) {
                a = m;
                ga = gm;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    }

    /// Walk downhill from `x0` until the gradient changes sign.
    fn basin_minimum(&self, x0: f64) -> Result<f64> {
        let g0 = self.gradient_1d(x0);
        if !g0.is_finite() {
            return Err(Error::invalid(
                "potential.u",
                format!("{:?}", self.formula.source),
                format!("a formula with a finite gradient at the start x = {x0} (it is {g0})"),
            ));
        }
        if g0 == 0.0 && self.eval(&self.formula.curvature, &[x0]) > 0.0 {
            return Ok(x0);
        }
        let direction = if g0 > 0.0 { -1.0 } else { 1.0 };
        let mut step = 1e-3 * (1.0 + x0.abs());
        let mut x = x0;
        while (x - x0).abs() < SEARCH_SPAN {
            let next = x + direction * step;
            let g = self.gradient_1d(next);
            if g == 0.0 || (g > 0.0) != (g0 > 0.0) {
                return Ok(self.root(x, next));
            }
            x = next;
            step *= 1.1;
        }
        Err(Error::invalid(
            "potential.u",
            format!("{:?}", self.formula.source),
            format!("a potential with a minimum downhill of the start x = {x0} (it keeps decreasing beyond {SEARCH_SPAN} away)"),
        ))
    }

    fn default_minimum(&self) -> Result<f64> {
        let (lo, hi) = DEFAULT_WINDOW;
        let n = 20_000;
        let mut best: Option<(f64, f64)> = None;
        let mut x_prev = lo;
        let mut g_prev = self.gradient_1d(lo);
        for i in 1..=n {
            let x = lo + (hi - lo) * i as f64 / n as f64;
            let g = self.gradient_1d(x);
            if g_prev < 0.0 && g >= 0.0 {
                let m = self.root(x_prev, x);
                let v = self.value_at(&[m]);
                if best.is_none_or(|(_, b)| v < b - 1e-12 * (1.0 + b.abs())) {
                    best = Some((m, v));
                }
            }
            x_prev = x;
            g_prev = g;
        }
        best.map(|(m, _)| m).ok_or_else(|| {
            Error::invalid(
                "start",
                "not given",
                format!(
                    "a start point: potential.u = {:?} has no local minimum on [{lo}, {hi}] to start in",
                    self.formula.source
                ),
            )
        })
    }

    /// The first local maximum right of `minimum` (the gradient turns from + to -).
    fn top_right_of(&self, minimum: f64) -> Option<f64> {
        let mut step = 1e-4 * (1.0 + minimum.abs());
        let mut x = minimum;
        let mut rising = false;
        while x - minimum < SEARCH_SPAN {
            let next = x + step;
            let g = self.gradient_1d(next);
            if !g.is_finite() {
                return None;
            }
            if g > 0.0 {
                rising = true;
            } else if rising {
                return Some(self.root(x, next));
            }
            x = next;
            step = (step * 1.01).min(1e-2 * (1.0 + x.abs()));
        }
        None
    }

    /// The first point in `(a, b)` where a switching function changes sign.
    fn first_switch(&self, a: f64, b: f64) -> Option<f64> {
        if self.formula.switches.outputs_len() == 0 {
            return None;
        }
        let s = |x: f64| self.formula.switches.eval(&[x], 0.0, 0.0, &self.values);
        let n = 4000;
        let mut prev = s(a);
        let mut x_prev = a;
        for i in 1..=n {
            let x = a + (b - a) * i as f64 / n as f64;
            let now = s(x);
            for (k, (p, q)) in prev.iter().zip(&now).enumerate() {
                if (*p > 0.0) != (*q > 0.0) {
                    let (mut lo, mut hi) = (x_prev, x);
                    for _ in 0..200 {
                        let m = 0.5 * (lo + hi);
                        if m == lo || m == hi {
                            break;
                        }
                        if (s(m)[k] > 0.0) == (*p > 0.0) {
                            lo = m;
                        } else {
                            hi = m;
                        }
                    }
                    return Some(hi);
                }
            }
            prev = now;
            x_prev = x;
        }
        None
    }

    /// Gradient descent with backtracking from `start` (dim > 1).
    fn descend(&self, start: &[f64]) -> Vec<f64> {
        let mut x = start.to_vec();
        let mut value = self.value_at(&x);
        let mut rate = 1e-2;
        for _ in 0..100_000 {
            let g = self.gradient_at(&x);
            let norm: f64 = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm.is_nan() || norm <= 1e-12 {
                break;
            }
            loop {
                let trial: Vec<f64> = x.iter().zip(&g).map(|(x, g)| x - rate * g).collect();
                let v = self.value_at(&trial);
                if v < value {
                    x = trial;
                    value = v;
                    rate *= 1.5;
                    break;
                }
                rate *= 0.5;
                if rate < 1e-300 {
                    return x;
                }
            }
        }
        x
    }
}

impl Physics for Expr {
    fn value(&self, x: f64) -> f64 {
        self.value_at(&[x])
    }
    fn gradient(&self, x: f64) -> f64 {
        self.gradient_1d(x)
    }
    fn minimum(&self) -> f64 {
        self.located.minimum.first().copied().unwrap_or(f64::NAN)
    }
    fn top(&self) -> Option<f64> {
        self.located.top
    }
    fn kink(&self) -> Option<f64> {
        self.located.kink
    }
    fn curvature_at_minimum(&self) -> f64 {
        self.eval(&self.formula.curvature, &[self.minimum()])
    }
    fn basin_curvature(&self) -> Option<f64> {
        self.located.basin_curvature.filter(|c| *c > 0.0)
    }
    fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        let (min, top) = (self.minimum(), self.top()?);
        let curvature = |x: f64| self.eval(&self.formula.curvature, &[x]);
        Some((
            curvature(min),
            -curvature(top),
            self.value(top) - self.value(min),
        ))
    }
    fn slots(&self) -> Vec<f64> {
        self.values.clone()
    }
    fn loss_minimum(&self) -> f64 {
        self.located.loss_minimum
    }
}

impl PotentialModel for Expr {
    type File = File;
    type Kernel<'d> = Kernel;
    type Dims = AnyDim;
    /// Per-coordinate functions the dispatch needs but never calls: the
    /// generated `user_potential_*` answer for the whole state.
    const WGSL: &'static str = include_str!("expr.wgsl");

    fn sweep(file: &File, _: &mut Axes, setup: &mut Setup) -> Result<Builder<Self>> {
        let names = formula::names(setup.params);
        let formula = Arc::new(Formula::new(&file.u, setup.dim, &names)?);
        let axes = slot_axes(&formula.slots, setup.params);
        Ok(Box::new(move |c| {
            Ok(Expr {
                formula: formula.clone(),
                values: formula::values(c, &axes),
                located: Located::default(),
            })
        }))
    }
}

/// CPU lanes: the formula's programs over the whole state.
pub struct Kernel {
    formula: Arc<Formula>,
    params: [f32; 8],
}

const ZERO: Lanes = [0.0; LANES];

impl Potential<'_> for Kernel {
    const STATE: bool = true;

    fn gradient(&self, _: usize, _: f32) -> f32 {
        unreachable!("a formula answers for the whole state")
    }
    fn value(&self, _: usize, _: f32) -> f32 {
        unreachable!("a formula answers for the whole state")
    }
    fn scratch(&self) -> Scratch {
        vec![
            self.formula.gradient.scratch(&self.params),
            self.formula.gradient_value.scratch(&self.params),
        ]
    }
    #[inline(always)]
    fn state_lanes<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        x: &[Lanes; DIM],
        dim: usize,
        gradient: &mut [Lanes; DIM],
        loss: Option<&mut Lanes>,
    ) {
        let (program, registers) = if loss.is_some() {
            (&self.formula.gradient_value, &mut scratch[1])
        } else {
            (&self.formula.gradient, &mut scratch[0])
        };
        program.run_lanes(registers, x, &ZERO, &ZERO);
        for (c, g) in gradient.iter_mut().enumerate().take(dim) {
            *g = *program.output(registers, c);
        }
        if let Some(loss) = loss {
            *loss = *program.output(registers, dim);
        }
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], model: &CaseModel) -> Self {
        let PotentialParams::Expr(e) = &model.potential else {
            unreachable!("the expr kernel runs expr potentials")
        };
        Kernel {
            formula: e.formula.clone(),
            params: p.potential,
        }
    }
}
