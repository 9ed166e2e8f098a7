//! What the three expression models (`kind = "expr"` of `[potential]`,
//! `[noise]` and `[exit]`) share: the file's `[params]` as sweep axes, the
//! parameter slots a family's formulas read, and the experiment's generated
//! WGSL module (`#import user` of shaders/simulate.wgsl).

use crate::model::case::CaseModel;
use crate::model::{ExitParams, NoiseParams, PotentialParams};
use crate::sweep::{Axis, Combination};

/// The file's `[params]`: each name and its sweep axis (`params.NAME`).
pub type Params = Vec<(String, Axis)>;

/// The names of `params`.
pub fn names(params: &Params) -> Vec<String> {
    params.iter().map(|(n, _)| n.clone()).collect()
}

/// The axes of the parameters in slot order.
pub fn slot_axes(slots: &[String], params: &Params) -> Vec<Axis> {
    slots
        .iter()
        .map(|s| {
            params
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, a)| *a)
                .expect("the parser gives slots only to declared parameters")
        })
        .collect()
}

/// One case's values of the slots.
pub fn values(combination: &Combination, axes: &[Axis]) -> Vec<f64> {
    axes.iter().map(|&a| combination.number(a)).collect()
}

/// The WGSL module `user` of an experiment whose case is `model`: the
/// functions of its formulas and the flags `POTENTIAL_STATE` / `NOISE_STATE`
/// that route the integrator to them ([`user_formulas_wgsl`]), then the
/// bridge's `user_exit_bridge`; [`crate::kernel::preprocess::user_stub`]
/// when the experiment has no formula.
pub fn user_wgsl(model: &CaseModel) -> String {
    let Some(mut out) = user_formulas_wgsl(model) else {
        return crate::kernel::preprocess::user_stub();
    };
    out += &match &model.exit {
        ExitParams::ExprExit(e) => e.formula.bridge_wgsl(),
        _ => crate::kernel::preprocess::USER_EXIT_BRIDGE_STUB.to_string(),
    };
    out
}

/// The formulas' part of [`user_wgsl`] (what an experiment's fingerprint
/// reads, as it has since formulas exist); `None` without a formula.
pub fn user_formulas_wgsl(model: &CaseModel) -> Option<String> {
    let potential = match &model.potential {
        PotentialParams::Expr(e) => Some(e.formula.wgsl()),
        _ => None,
    };
    let noise = match &model.noise {
        NoiseParams::ExprNoise(e) => Some(e.formula.wgsl()),
        _ => None,
    };
    let exit = match &model.exit {
        ExitParams::ExprExit(e) => Some(e.formula.wgsl()),
        _ => None,
    };
    if potential.is_none() && noise.is_none() && exit.is_none() {
        return None;
    }
    let mut out = format!(
        "// generated from the experiment's formulas (src/model/formula.rs)\nconst POTENTIAL_STATE: bool = {};\nconst NOISE_STATE: bool = {};\nconst NOISE_READS_LOSS: bool = {};\n",
        potential.is_some(),
        noise.is_some(),
        !matches!(&model.noise, NoiseParams::ExprNoise(e) if !e.formula.reads_loss),
    );
    out += crate::expr::WGSL_HELPERS;
    out += &potential.unwrap_or_else(|| crate::kernel::preprocess::USER_POTENTIAL_STUB.to_string());
    out += &noise.unwrap_or_else(|| crate::kernel::preprocess::USER_NOISE_STUB.to_string());
    out += &exit.unwrap_or_else(|| crate::kernel::preprocess::USER_EXIT_STUB.to_string());
    Some(out)
}

/// Parse and validate an assembled kernel with naga (the WGSL front end wgpu
/// uses): a formula's generated code is checked before any dispatch.
pub fn validate(source: &str) -> std::result::Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .map(|_| ())
    .map_err(|e| e.emit_to_string(source))
}
