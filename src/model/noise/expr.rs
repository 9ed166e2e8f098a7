//! `expr`: a noise variance written as a formula, `d = "d0 + d2 * (x + 1)^2"`
//! (the same law in every coordinate) or a list of `dim` formulas (diagonal
//! noise), over the coordinates, `u` (the potential's value) and `[params]`.
//! `dD_j/dx_j` is derived symbolically (through `u` by the chain rule) for the
//! interpretation's drift `alpha/2 dD_j/dx_j`. A variance that turns negative
//! during a run makes the step diverge (`+inf`), counted as a diverged
//! trajectory; one negative at the start is refused before the run.

use super::{interpretation_axis, NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::{Error, Result};
use crate::expr::{parse, Graph, Node, Program, Scope, Wrt};
use crate::kernel::abi::CaseParams;
use crate::kernel::noise::Noise;
use crate::simd::{Lanes, Scratch, LANES};
use crate::model::formula::{self, slot_axes};
use crate::model::{NoiseParams, PotentialParams};
use crate::sweep::{Axes, StringSweep};
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;
use std::sync::Arc;

/// The `[noise]` fields of `kind = "expr"`: the variance formula `d` (one, or one per
/// coordinate) and `interpretation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    d: StringSweep,
    interpretation: Option<StringSweep>,
}

/// The compiled formulas, shared by every case of an experiment.
#[derive(Debug, PartialEq)]
pub struct Formula {
    /// One formula, or one per coordinate.
    pub sources: Vec<String>,
    /// Number of coordinates (the experiment's `dim`).
    pub dim: usize,
    /// The parameters they read, in slot order.
    pub slots: Vec<String>,
    /// Per coordinate `j`: `[D_j, dD_j/dx_j]`, the derivative's `u` term
    /// reading the potential's gradient along `x_j`.
    pub coordinates: Vec<Program>,
    /// Per coordinate `[D_j]`: what an Itô step (no `alpha` drift) and the
    /// bridge need, on the CPU lanes (the same values: the same instructions).
    pub variances: Vec<Program>,
    /// Some formula reads `u`.
    pub reads_loss: bool,
}

impl Formula {
    /// Parse `sources` (1 or `dim` formulas) over `dim` coordinates, `u` and the `[params]`
    /// names `params`, and compile them; errors name `noise.d`.
    pub fn new(sources: &[String], dim: usize, params: &[String]) -> Result<Formula> {
        if sources.len() != 1 && sources.len() != dim {
            return Err(Error::invalid(
                "noise.d",
                format!("a list of {} formulas", sources.len()),
                format!("one formula (the same variance in every coordinate) or a list of dim = {dim}"),
            ));
        }
        let mut graph = Graph::default();
        let mut slots = Vec::new();
        let mut roots = Vec::new();
        for (k, source) in sources.iter().enumerate() {
            let field = if sources.len() == 1 {
                "noise.d".to_string()
            } else {
                format!("noise.d[{k}]")
            };
            let scope = Scope {
                field: &field,
                dim,
                loss: true,
                params,
            };
            roots.push(parse(&mut graph, source, &scope, &mut slots)?);
        }
        let grad = graph.input(Node::Grad);
        let root = |j: usize| roots[if roots.len() == 1 { 0 } else { j }];
        let coordinates = (0..dim)
            .map(|j| {
                let d = root(j);
                let direct = graph.d(d, Wrt::Var(j as u8));
                let through_loss = graph.d(d, Wrt::Loss);
                let chain = graph.mul(through_loss, grad);
                let slope = graph.add(direct, chain);
                Program::compile(&graph, &[d, slope])
            })
            .collect();
        let variances = (0..dim).map(|j| Program::compile(&graph, &[root(j)])).collect();
        let reads_loss = roots.iter().any(|&r| graph.depends(r, &|n| n == Node::Loss));
        Ok(Formula {
            sources: sources.to_vec(),
            dim,
            slots,
            coordinates,
            variances,
            reads_loss,
        })
    }

    /// `user_noise_step` and `user_noise_variance` of the generated WGSL:
    /// a `switch` on the coordinate over the per-coordinate programs.
    pub fn wgsl(&self) -> String {
        let mut variance = String::new();
        let mut step = String::new();
        for (j, program) in self.coordinates.iter().enumerate() {
            let (body, outputs) =
                program.wgsl("            ", "n", "p.noise", "x", "loss", "gradient");
            variance += &format!(
                "        case {j}u: {{\n{body}            out = {};\n        }}\n",
                outputs[0]
            );
            step += &format!(
                "        case {j}u: {{\n{body}            variance = {};\n            slope = {};\n        }}\n",
                outputs[0], outputs[1]
            );
        }
        format!(
            "// noise.d = {:?}\n\
             fn user_noise_variance(p: CaseParams, c: u32, x: array<f32, DIM>, loss: f32, gradient: f32) -> f32 {{\n    var out = 0.0;\n    switch c {{\n{variance}        default: {{}}\n    }}\n    return out;\n}}\n\
             // Twin of Kernel::step_state in src/model/noise/expr.rs; a negative variance yields +inf (diverged).\n\
             fn user_noise_step(p: CaseParams, c: u32, x: array<f32, DIM>, xc: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {{\n    var variance = 0.0;\n    var slope = 0.0;\n    switch c {{\n{step}        default: {{}}\n    }}\n    var drift = -gradient;\n    if alpha != 0.0 {{\n        drift = alpha * 0.5 * slope - gradient;\n    }}\n    let next = xc + drift * dt + sqrt(variance * dt) * draw;\n    return select(next, bitcast<f32>(0x7f800000u), variance < 0.0);\n}}\n",
            self.sources
        )
    }
}

/// One case's noise: the formulas and their parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprNoise {
    /// The compiled formulas (shared by every case).
    pub formula: Arc<Formula>,
    /// This case's values of the parameters the formulas read, in slot order.
    pub values: Vec<f64>,
}

impl ExprNoise {
    /// `(D_j, dD_j/dx_j)` at the state `x`, where the potential's value is
    /// `loss` and its gradient along `x_j` is `gradient`.
    pub fn at(&self, j: usize, x: &[f64], loss: f64, gradient: f64) -> (f64, f64) {
        let out = self.formula.coordinates[j].eval(x, loss, gradient, &self.values);
        (out[0], out[1])
    }

    /// Refuse a variance that is negative (or not a number) at the start.
    pub fn check_start(&self, start: &[f64], potential: &PotentialParams) -> Result<()> {
        let loss = potential.value_at(start);
        for j in 0..self.formula.dim {
            let gradient = potential.gradient_at(start, j);
            let (d, _) = self.at(j, start, loss, gradient);
            if d.is_nan() || d < 0.0 {
                let field = if self.formula.sources.len() == 1 {
                    "noise.d".to_string()
                } else {
                    format!("noise.d[{j}]")
                };
                return Err(Error::invalid(
                    field,
                    format!("{:?}, which is {d} at the start point {start:?}", self.formula.sources[j.min(self.formula.sources.len() - 1)]),
                    "a variance >= 0 at the start (a negative one during a run diverges the trajectory)",
                ));
            }
        }
        Ok(())
    }
}

impl NoisePhysics for ExprNoise {
    fn variance(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.at(0, &[x], potential.value(x), potential.gradient(x)).0
    }
    fn variance_derivative(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.at(0, &[x], potential.value(x), potential.gradient(x)).1
    }
    fn is_silent(&self) -> bool {
        false
    }
    fn slots(&self, _: f64, _: &PotentialParams) -> Vec<f64> {
        self.values.clone()
    }
}

impl NoiseModel for ExprNoise {
    type File = File;
    type Kernel = Kernel;
    /// Per-coordinate entries the dispatch needs but never calls: `NOISE_STATE`
    /// routes the integrator to the generated `user_noise_*`.
    const WGSL: &'static str = include_str!("expr.wgsl");

    fn sweep(file: &File, axes: &mut Axes, setup: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        let names = formula::names(&setup.params);
        let formula = Arc::new(Formula::new(&file.d.values(), setup.dim, &names)?);
        let slots = slot_axes(&formula.slots, &setup.params);
        let interpretation = interpretation_axis(axes, file.interpretation.as_ref())?;
        Ok(Box::new(move |c, _| {
            let noise = ExprNoise {
                formula: formula.clone(),
                values: formula::values(c, &slots),
            };
            Ok((noise, interpretation.pick(c)))
        }))
    }
}

/// CPU lanes: the per-coordinate programs over the state before the step
/// (registers: the full programs, then the variance-only ones).
pub struct Kernel {
    formula: Arc<Formula>,
    params: [f32; 8],
    /// Itô: the step needs no `dD/dx` (the GPU computes and drops it).
    ito: bool,
}

impl Noise for Kernel {
    const STATE: bool = true;

    fn reads_loss(&self) -> bool {
        self.formula.reads_loss
    }
    fn step(&self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) -> f32 {
        unreachable!("a formula reads the whole state")
    }
    fn variance(&self, _: f32, _: f32) -> f32 {
        unreachable!("a formula reads the whole state")
    }
    fn scratch(&self) -> Scratch {
        self.formula
            .coordinates
            .iter()
            .chain(&self.formula.variances)
            .map(|p| p.scratch(&self.params))
            .collect()
    }
    #[inline(always)]
    fn prepare_state<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        c: usize,
        x: &[Lanes; DIM],
        gradient: &Lanes,
        loss: &Lanes,
    ) {
        if self.ito {
            let registers = &mut scratch[self.formula.dim + c];
            self.formula.variances[c].run_lanes(registers, x, loss, gradient);
        } else {
            self.formula.coordinates[c].run_lanes(&mut scratch[c], x, loss, gradient);
        }
    }
    #[inline(always)]
    fn step_state(
        &self,
        scratch: &Scratch,
        c: usize,
        xc: &mut Lanes,
        gradient: &Lanes,
        dt: f32,
        alpha: f32,
        draw: &Lanes,
        running: &[u32; LANES],
    ) {
        // the update on running lanes, a bit blend (a select would not vectorize)
        let blend = |l: usize, old: f32, next: f32| {
            let keep = 0u32.wrapping_sub(running[l]);
            f32::from_bits((next.to_bits() & keep) | (old.to_bits() & !keep))
        };
        if self.ito {
            let program = &self.formula.variances[c];
            let variance = program.output(&scratch[self.formula.dim + c], 0);
            for l in 0..LANES {
                let old = xc[l];
                let next = old + -gradient[l] * dt + (variance[l] * dt).sqrt() * draw[l];
                xc[l] = blend(l, old, if variance[l] < 0.0 { f32::INFINITY } else { next });
            }
            return;
        }
        let program = &self.formula.coordinates[c];
        let registers = &scratch[c];
        let variance = program.output(registers, 0);
        let slope = program.output(registers, 1);
        for l in 0..LANES {
            let old = xc[l];
            let drift = if alpha != 0.0 {
                alpha * 0.5 * slope[l] - gradient[l]
            } else {
                -gradient[l]
            };
            let next = old + drift * dt + (variance[l] * dt).sqrt() * draw[l];
            xc[l] = blend(l, old, if variance[l] < 0.0 { f32::INFINITY } else { next });
        }
    }
    #[inline(always)]
    fn variance_state<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        c: usize,
        x: &[Lanes; DIM],
        loss: &Lanes,
        gradient: &Lanes,
        out: &mut Lanes,
    ) {
        let program = &self.formula.variances[c];
        let registers = &mut scratch[self.formula.dim + c];
        program.run_lanes(registers, x, loss, gradient);
        *out = *program.output(registers, 0);
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], model: &CaseModel) -> Self {
        let NoiseParams::ExprNoise(e) = &model.noise else {
            unreachable!("the expr kernel runs expr noise")
        };
        Kernel {
            formula: e.formula.clone(),
            params: p.noise,
            ito: p.alpha == 0.0,
        }
    }
}
