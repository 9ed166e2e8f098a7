//! `expr` exit: a formula `g = "..."` over the coordinates and `[params]`;
//! a trajectory leaves at the first step with `g(x) >= 0`. Slots: its
//! parameters in the exit vector.

use super::{ExitBuilder, ExitModel, ExitParams, ExitPhysics, ExitSetup};
use crate::error::Result;
use crate::expr::{parse, Graph, Program, Scope, Wrt};
use crate::kernel::abi::CaseParams;
use crate::kernel::exits::{bridge_probability, ExitSet};
use crate::simd::{Lanes, Scratch, LANES};
use crate::model::formula::{self, slot_axes};
use crate::sweep::Axes;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;
use std::sync::Arc;

/// The `[exit]` fields of `kind = "expr"`: the formula `g` (leave where `g(x) >= 0`) and `bridge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    g: String,
    /// Brownian-bridge correction of the once-per-step exit check (docs/theory.md §4).
    bridge: Option<bool>,
}

/// The compiled formula, shared by every case of an experiment.
#[derive(Debug, PartialEq)]
pub struct Formula {
    /// The formula as written (`exit.g`).
    pub source: String,
    /// The parameters it reads, in slot order.
    pub slots: Vec<String>,
    /// `[g]`.
    pub program: Program,
    /// `[g, dg/dx1, .., dg/dx_dim]`: the bridge's distance and normal.
    pub bridge: Program,
}

impl Formula {
    /// Parse `source` over `dim` coordinates and the `[params]` names `params`, and compile it;
    /// errors name `exit.g`.
    pub fn new(source: &str, dim: usize, params: &[String]) -> Result<Formula> {
        let mut graph = Graph::default();
        let mut slots = Vec::new();
        let scope = Scope {
            field: "exit.g",
            dim,
            loss: false,
            params,
        };
        let g = parse(&mut graph, source, &scope, &mut slots)?;
        let mut bridge = vec![g];
        bridge.extend((0..dim).map(|k| graph.d(g, Wrt::Var(k as u8))));
        Ok(Formula {
            source: source.to_string(),
            slots,
            program: Program::compile(&graph, &[g]),
            bridge: Program::compile(&graph, &bridge),
        })
    }

    /// `user_exit_value` (`g`, rare-event splitting's score) and
    /// `user_exit_contains` (`g >= 0`) of the generated WGSL.
    pub fn wgsl(&self) -> String {
        let (body, outputs) = self.program.wgsl("    ", "e", "p.exit_vector", "x", "0.0", "0.0");
        format!(
            "// exit.g = {:?}\nfn user_exit_value(p: CaseParams, x: array<f32, DIM>) -> f32 {{\n{body}    return {};\n}}\nfn user_exit_contains(p: CaseParams, x: array<f32, DIM>) -> bool {{\n    return user_exit_value(p, x) >= 0.0;\n}}\n",
            self.source, outputs[0]
        )
    }

    /// `user_exit_bridge` of the generated WGSL: `g` and its gradient, for the bridge.
    pub fn bridge_wgsl(&self) -> String {
        let (body, outputs) = self.bridge.wgsl("    ", "b", "p.exit_vector", "x", "0.0", "0.0");
        let mut out = format!(
            "fn user_exit_bridge(p: CaseParams, x: array<f32, DIM>) -> ExitBridge {{\n{body}    var out: ExitBridge;\n    out.g = {};\n",
            outputs[0]
        );
        for (k, o) in outputs[1..].iter().enumerate() {
            out += &format!("    out.gradient[{k}] = {o};\n");
        }
        out += "    return out;\n}\n";
        out
    }
}

/// One case's exit set: the formula and its parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprExit {
    /// The compiled formula (shared by every case).
    pub formula: Arc<Formula>,
    /// This case's values of the parameters the formula reads, in slot order (at most 8).
    pub values: Vec<f64>,
}

impl ExitPhysics for ExprExit {
    fn contains(&self, x: &[f64]) -> bool {
        self.formula.program.eval(x, 0.0, 0.0, &self.values)[0] >= 0.0
    }
    /// `g / |grad g|`, the gradient by central differences.
    fn depth(&self, x: &[f64]) -> f64 {
        let g = |y: &[f64]| self.formula.program.eval(y, 0.0, 0.0, &self.values)[0];
        let mut y = x.to_vec();
        let mut norm2 = 0.0;
        for j in 0..x.len() {
            let step = 1e-6 * (1.0 + x[j].abs());
            y[j] = x[j] + step;
            let up = g(&y);
            y[j] = x[j] - step;
            let down = g(&y);
            y[j] = x[j];
            norm2 += ((up - down) / (2.0 * step)).powi(2);
        }
        g(x) / norm2.sqrt()
    }
    fn pack(&self, vector: &mut [f32; 8], _: &mut [f32; 4]) {
        for (slot, v) in vector.iter_mut().zip(&self.values) {
            *slot = *v as f32;
        }
    }
}

impl ExitModel for ExprExit {
    type File = File;
    type Kernel = Kernel;

    fn sweep(file: &File, _: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder> {
        let names = formula::names(&setup.params);
        let formula = Arc::new(Formula::new(&file.g, setup.dim, &names)?);
        let slots = slot_axes(&formula.slots, &setup.params);
        Ok(Box::new(move |c, _, _| {
            Ok(ExitParams::ExprExit(ExprExit {
                formula: formula.clone(),
                values: formula::values(c, &slots),
            }))
        }))
    }
    fn bridge(file: &File) -> bool {
        file.bridge.unwrap_or(false)
    }
    const WGSL: &'static str = include_str!("expr.wgsl");
}

/// CPU lanes: the formula's program on the state after the step.
pub struct Kernel {
    formula: Arc<Formula>,
    params: [f32; 8],
}

const ZERO: Lanes = [0.0; LANES];

impl ExitSet for Kernel {
    const STATE: bool = true;

    fn contains<const DIM: usize>(&self, _: &[Lanes; DIM], _: usize) -> [u32; LANES] {
        unreachable!("a formula needs its registers")
    }
    fn scratch(&self) -> Scratch {
        vec![
            self.formula.program.scratch(&self.params),
            self.formula.bridge.scratch(&self.params),
        ]
    }
    #[inline(always)]
    fn contains_state<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        x: &[Lanes; DIM],
        dim: usize,
    ) -> [u32; LANES] {
        let g = self.score_state(scratch, x, dim);
        let mut out = [0u32; LANES];
        for l in 0..LANES {
            out[l] = (g[l] >= 0.0) as u32;
        }
        out
    }
    /// `g` itself: the exit is `g >= 0`.
    #[inline(always)]
    fn score_state<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        x: &[Lanes; DIM],
        _: usize,
    ) -> Lanes {
        let registers = &mut scratch[0];
        self.formula.program.run_lanes(registers, x, &ZERO, &ZERO);
        *self.formula.program.output(registers, 0)
    }
    /// The half-space through the boundary point nearest each end: distances
    /// `-g/|grad g|`, variance along `grad g/|grad g|` at `before` (Gobet 2001).
    /// Where `g` has no gradient the step does not cross.
    #[inline(always)]
    fn crossing<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        before: &[Lanes; DIM],
        after: &[Lanes; DIM],
        variance: &[Lanes; DIM],
        dim: usize,
        dt: f32,
    ) -> Lanes {
        let program = &self.formula.bridge;
        let registers = &mut scratch[1];
        let mut length = [0f32; LANES];
        let mut spread = [0f32; LANES];
        program.run_lanes(registers, before, &ZERO, &ZERO);
        for (c, variance) in variance.iter().enumerate().take(dim) {
            let slope = program.output(registers, 1 + c);
            for l in 0..LANES {
                length[l] += slope[l] * slope[l];
                spread[l] += slope[l] * slope[l] * variance[l];
            }
        }
        let start = *program.output(registers, 0);
        program.run_lanes(registers, after, &ZERO, &ZERO);
        let mut end_length = [0f32; LANES];
        for c in 0..dim {
            let slope = program.output(registers, 1 + c);
            for l in 0..LANES {
                end_length[l] += slope[l] * slope[l];
            }
        }
        let end = program.output(registers, 0);
        let mut probability = [0f32; LANES];
        for l in 0..LANES {
            let (norm, end_norm) = (length[l].sqrt(), end_length[l].sqrt());
            let regular = (length[l] > 0.0) & (end_length[l] > 0.0) & (spread[l] > 0.0);
            probability[l] = if regular {
                bridge_probability(
                    -start[l] / norm,
                    -end[l] / end_norm,
                    spread[l] / length[l],
                    dt,
                )
            } else {
                0.0
            };
        }
        probability
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], model: &CaseModel) -> Self {
        let ExitParams::ExprExit(e) = &model.exit else {
            unreachable!("the expr kernel tests expr exits")
        };
        Kernel {
            formula: e.formula.clone(),
            params: p.exit_vector,
        }
    }
}
