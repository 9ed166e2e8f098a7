//! Straight-line programs compiled from a [`Graph`]: one register per node
//! the outputs need, in dependency order, with the nodes that do not change
//! during a run (constants, parameters) first. The same list runs in f64 (the
//! theory), in f32 on SIMD lanes (the CPU backend: interpreted, or as machine
//! code where [`super::jit`] assembles it) and is written out as WGSL (the
//! GPU), instruction for instruction.

use super::{children, Cmp, Graph, Id, Node};
use crate::simd::fastmath;
use crate::simd::{Isa, Lanes, Register, RegisterFile, LANES};

/// A compiled formula with one or more outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// `code[i]` computes register `i`; operands are register indices.
    code: Vec<Node>,
    /// Registers `0..invariant` hold constants and parameters.
    invariant: usize,
    outputs: Vec<u32>,
    /// What [`Self::run_lanes`] executes for `code[invariant..]`.
    lanes: Vec<Instr>,
    /// The instruction set [`Self::run_lanes`] runs with: this CPU's.
    isa: Isa,
    /// Machine code for the lanes, where the CPU has AVX2 (see [`super::jit`]).
    jit: JitCode,
    /// The coordinates the program reads (`x` must hold this many).
    reads_x: usize,
}

/// A program's machine code, if any (shared by the clones of the program;
/// a function of its instructions, so equal programs need not compare it).
#[derive(Clone, Default)]
struct JitCode(#[cfg(target_arch = "x86_64")] Option<std::sync::Arc<super::jit::Jit>>);

impl JitCode {
    #[cfg(target_arch = "x86_64")]
    fn new(code: &[Node], invariant: usize, outputs: &[u32], isa: Isa) -> JitCode {
        let wanted = isa != Isa::Baseline && jit_enabled();
        JitCode(
            wanted
                .then(|| super::jit::Jit::new(code, invariant, outputs))
                .flatten()
                .map(std::sync::Arc::new),
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    fn new(_: &[Node], _: usize, _: &[u32], _: Isa) -> JitCode {
        JitCode()
    }
}

/// Whether formulas run as machine code where the CPU allows (`KRAMERS_JIT=off`
/// runs them through the interpreter: the same bits, for comparison).
#[cfg(target_arch = "x86_64")]
fn jit_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("KRAMERS_JIT").map_or(true, |v| v != "off" && v != "0"))
}

impl std::fmt::Debug for JitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[cfg(target_arch = "x86_64")]
        let compiled = self.0.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        let compiled = false;
        write!(f, "JitCode({})", if compiled { "compiled" } else { "none" })
    }
}

impl PartialEq for JitCode {
    fn eq(&self, _: &JitCode) -> bool {
        true
    }
}

/// The four arithmetic operations, which [`Instr::Fused`] pairs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

fn arith(node: Node) -> Option<(Arith, u32, u32)> {
    match node {
        Node::Add(a, b) => Some((Arith::Add, a, b)),
        Node::Sub(a, b) => Some((Arith::Sub, a, b)),
        Node::Mul(a, b) => Some((Arith::Mul, a, b)),
        Node::Div(a, b) => Some((Arith::Div, a, b)),
        _ => None,
    }
}

/// An operand of a lane instruction with this bit set is an input read in
/// place (`x[k]` for `k < MAX_DIM`, then `u`, then the gradient), not a register:
/// the coordinates are not copied into registers first.
const INPUT: u32 = 1 << 31;
const INPUT_LOSS: u32 = INPUT | crate::dynamics::MAX_DIM as u32;
const INPUT_GRAD: u32 = INPUT_LOSS + 1;

/// One instruction on the lanes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Instr {
    /// Register `.0` = `code[.0]`.
    Op(u32, Node),
    /// Register `dst` = `outer(inner(a, b), c)` (or `outer(c, inner(a, b))`
    /// when `!inner_left`), where `inner`'s result is read by nothing else:
    /// two operations in one pass over the lanes, the intermediate in vector
    /// registers (the same roundings as the two instructions).
    Fused {
        dst: u32,
        outer: Arith,
        inner: Arith,
        a: u32,
        b: u32,
        c: u32,
        inner_left: bool,
    },
}

/// The lanes' instructions for `code`: an arithmetic operation whose only
/// reader is the next arithmetic operation is fused into it.
fn lane_instructions(code: &[Node], invariant: usize, outputs: &[u32]) -> Vec<Instr> {
    let mut uses = vec![0u32; code.len()];
    for node in code {
        for c in children(*node) {
            uses[c as usize] += 1;
        }
    }
    for &o in outputs {
        uses[o as usize] += 1;
    }
    let mut fused_away = vec![false; code.len()];
    let mut fuses = vec![false; code.len()];
    let mut out = Vec::new();
    for (i, &node) in code.iter().enumerate().skip(invariant) {
        if let Some((outer, x, y)) = arith(node) {
            // an inner that is itself a fusion's result has operands nobody computed
            let single = |r: u32| {
                r as usize >= invariant && uses[r as usize] == 1 && x != y && !fuses[r as usize]
            };
            let candidate = [(x, y, true), (y, x, false)]
                .into_iter()
                .find(|&(inner, _, _)| single(inner) && arith(code[inner as usize]).is_some());
            if let Some((inner_register, c, inner_left)) = candidate {
                let (inner, a, b) = arith(code[inner_register as usize]).expect("arithmetic");
                fused_away[inner_register as usize] = true;
                fuses[i] = true;
                out.push(Instr::Fused {
                    dst: i as u32,
                    outer,
                    inner,
                    a,
                    b,
                    c,
                    inner_left,
                });
                continue;
            }
        }
        out.push(Instr::Op(i as u32, node));
    }
    // an instruction fused into a later one is not executed on its own
    out.retain(|instr| !matches!(instr, Instr::Op(i, _) if fused_away[*i as usize]));
    // inputs are read in place; only one that is an output is copied to its register
    let input = |r: u32| match code.get(r as usize) {
        Some(Node::Var(k)) => INPUT | *k as u32,
        Some(Node::Loss) => INPUT_LOSS,
        Some(Node::Grad) => INPUT_GRAD,
        _ => r,
    };
    out.retain(|instr| match instr {
        Instr::Op(i, Node::Var(_) | Node::Loss | Node::Grad) => outputs.contains(i),
        _ => true,
    });
    for instr in &mut out {
        match instr {
            Instr::Op(_, node) => *node = remap(*node, &|r| input(r)),
            Instr::Fused { a, b, c, .. } => [*a, *b, *c] = [input(*a), input(*b), input(*c)],
        }
    }
    out
}

/// A program's registers on SIMD lanes (the constants filled in once per case).
pub type Scratch = RegisterFile;

/// `ln` as the kernels define it on the whole line: the shared Cephes `ln`
/// for positive finite arguments, `-inf` at 0, `+inf` at `+inf`, NaN below 0.
#[inline(always)]
pub fn ln_total(a: f32) -> f32 {
    if a > 0.0 && a < f32::INFINITY {
        fastmath::ln(a)
    } else if a == 0.0 {
        f32::NEG_INFINITY
    } else if a == f32::INFINITY {
        f32::INFINITY
    } else {
        f32::NAN
    }
}

/// The WGSL twin of [`ln_total`] (included once in every generated module).
pub const WGSL_HELPERS: &str = "fn user_ln(a: f32) -> f32 {
    let special = select(select(bitcast<f32>(0x7fc00000u), bitcast<f32>(0x7f800000u), a == bitcast<f32>(0x7f800000u)), bitcast<f32>(0xff800000u), a == 0.0);
    return select(special, fm_ln(a), a > 0.0 && a < bitcast<f32>(0x7f800000u));
}
";

impl Program {
    /// The program computing `outputs` of `graph`: the constants and
    /// parameters first, then the rest in depth-first post-order from the
    /// outputs, so that most operands are computed right before their use
    /// (still in the cache when read).
    pub fn compile(graph: &Graph, outputs: &[Id]) -> Program {
        let top = outputs.iter().copied().max().map_or(0, |m| m as usize + 1);
        let is_invariant = |n: Node| matches!(n, Node::Const(_) | Node::Param(_));
        // post-order without recursion: (node, children pushed yet)
        let mut visited = vec![false; top];
        let mut order_rest = Vec::new();
        let mut invariant_nodes = Vec::new();
        for &o in outputs {
            let mut stack = vec![(o, false)];
            while let Some((id, expanded)) = stack.pop() {
                if expanded {
                    order_rest.push(id as usize);
                    continue;
                }
                if visited[id as usize] {
                    continue;
                }
                visited[id as usize] = true;
                let node = graph.node(id);
                if is_invariant(node) {
                    invariant_nodes.push(id as usize);
                    continue;
                }
                stack.push((id, true));
                // pushed in reverse: the first operand is computed first
                for c in children(node).into_iter().rev() {
                    if !visited[c as usize] {
                        stack.push((c, false));
                    }
                }
            }
        }
        invariant_nodes.sort_unstable();
        let order: Vec<usize> = invariant_nodes.iter().chain(&order_rest).copied().collect();
        let mut register = vec![u32::MAX; top];
        for (r, &i) in order.iter().enumerate() {
            register[i] = r as u32;
        }
        let map = |id: Id| register[id as usize];
        let code: Vec<Node> = order
            .iter()
            .map(|&i| remap(graph.node(i as Id), &map))
            .collect();
        let outputs: Vec<u32> = outputs.iter().map(|&o| map(o)).collect();
        let lanes = lane_instructions(&code, invariant_nodes.len(), &outputs);
        let isa = Isa::detect();
        let jit = JitCode::new(&code, invariant_nodes.len(), &outputs, isa);
        let reads_x = code
            .iter()
            .filter_map(|n| match n {
                Node::Var(k) => Some(*k as usize + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Program {
            code,
            invariant: invariant_nodes.len(),
            outputs,
            lanes,
            isa,
            jit,
            reads_x,
        }
    }

    /// The same program run with instruction set `isa`, one of
    /// [`Isa::available`] (for tests: every instruction set computes the same bits).
    pub fn with_isa(self, isa: Isa) -> Program {
        assert!(
            Isa::available().contains(&isa),
            "{} is not available on this CPU",
            isa.name()
        );
        let jit = if isa == Isa::Baseline {
            JitCode::default()
        } else {
            self.jit.clone()
        };
        Program { isa, jit, ..self }
    }

    /// The same program without machine code: always the interpreter (for
    /// tests and measurements: both compute the same bits).
    pub fn interpreted(self) -> Program {
        Program {
            jit: JitCode::default(),
            ..self
        }
    }

    /// Whether [`Self::run_lanes`] runs machine code.
    pub fn compiled(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return self.jit.0.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// Instructions run per evaluation (constants and parameters excluded).
    pub fn len(&self) -> usize {
        self.code.len() - self.invariant
    }

    /// Whether an evaluation runs no instruction (every output is a constant or a parameter).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of outputs.
    pub fn outputs_len(&self) -> usize {
        self.outputs.len()
    }

    /// The outputs in f64 (the theory): `x` the coordinates, `loss` `u`,
    /// `grad` the potential's gradient along the noise's coordinate, `params`
    /// the family's parameter values.
    pub fn eval(&self, x: &[f64], loss: f64, grad: f64, params: &[f64]) -> Vec<f64> {
        let mut r = vec![0.0f64; self.code.len()];
        for (i, node) in self.code.iter().enumerate() {
            let v = |k: u32| r[k as usize];
            r[i] = match *node {
                Node::Const(bits) => f64::from_bits(bits),
                Node::Param(k) => params[k as usize],
                Node::Var(k) => x[k as usize],
                Node::Loss => loss,
                Node::Grad => grad,
                Node::Neg(a) => -v(a),
                Node::Add(a, b) => v(a) + v(b),
                Node::Sub(a, b) => v(a) - v(b),
                Node::Mul(a, b) => v(a) * v(b),
                Node::Div(a, b) => v(a) / v(b),
                Node::Sqrt(a) => v(a).sqrt(),
                Node::Exp(a) => v(a).exp(),
                Node::Ln(a) => v(a).ln(),
                Node::Sin(a) => v(a).sin(),
                Node::Cos(a) => v(a).cos(),
                Node::Abs(a) => v(a).abs(),
                Node::Min(a, b) => v(a).min(v(b)),
                Node::Max(a, b) => v(a).max(v(b)),
                Node::Select(cmp, a, b, t, e) => {
                    if cmp.holds(v(a), v(b)) {
                        v(t)
                    } else {
                        v(e)
                    }
                }
            };
        }
        self.outputs.iter().map(|&o| r[o as usize]).collect()
    }

    /// Registers with this case's constants and parameters (f32, as the kernels read them).
    pub fn scratch(&self, params: &[f32]) -> Scratch {
        let mut regs = vec![Register([0f32; LANES]); self.code.len()];
        for (i, node) in self.code[..self.invariant].iter().enumerate() {
            let v = match *node {
                Node::Const(bits) => f64::from_bits(bits) as f32,
                Node::Param(k) => params[k as usize],
                _ => unreachable!("only constants and parameters are invariant"),
            };
            regs[i] = Register([v; LANES]);
        }
        Scratch { regs }
    }

    /// Evaluate on every lane: `x` the coordinates, `loss` `u`, `grad` the
    /// potential's gradient along the noise's coordinate. Read the results with [`Self::output`].
    ///
    /// Where the CPU has AVX2 this runs the program's machine code
    /// (the `jit` module); otherwise the interpreter, compiled once per
    /// instruction set, out of line, so that the specialized CPU kernels call
    /// it rather than each carrying a copy. Both compute the same bits.
    #[inline(always)]
    pub fn run_lanes<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        x: &[Lanes; DIM],
        loss: &Lanes,
        grad: &Lanes,
    ) {
        assert_eq!(
            scratch.regs.len(),
            self.code.len(),
            "registers of another program"
        );
        let x = x.as_slice();
        #[cfg(target_arch = "x86_64")]
        if let Some(jit) = &self.jit.0 {
            assert!(
                x.len() >= self.reads_x,
                "{} coordinates for a program reading {}",
                x.len(),
                self.reads_x
            );
            // SAFETY: the register file is this program's (checked above), `x`
            // holds every coordinate it reads, and the machine code exists only
            // where `Isa::detect` found AVX2.
            unsafe {
                jit.run(
                    scratch.regs.as_mut_ptr().cast::<f32>(),
                    x.as_ptr().cast::<f32>(),
                    loss.as_ptr(),
                    grad.as_ptr(),
                )
            };
            return;
        }
        match self.isa {
            // SAFETY: `isa` was detected on this CPU by `Isa::detect`.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { run_avx512(self, scratch, x, loss, grad) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { run_avx2(self, scratch, x, loss, grad) },
            _ => run_baseline(self, scratch, x, loss, grad),
        }
    }

    /// The interpreter's loop, inlined into one function per instruction set.
    #[inline(always)]
    fn run_body(&self, scratch: &mut Scratch, x: &[Lanes], loss: &Lanes, grad: &Lanes) {
        let regs = scratch.regs.as_mut_ptr();
        // An operand: a register (below the instruction's, see the SAFETY
        // notes) or an input read in place.
        let operand = |k: u32| -> &Lanes {
            if k & INPUT == 0 {
                // SAFETY: as below.
                unsafe { &(*regs.add(k as usize)).0 }
            } else if k < INPUT_LOSS {
                &x[(k & !INPUT) as usize]
            } else if k == INPUT_LOSS {
                loss
            } else {
                grad
            }
        };
        for instr in &self.lanes {
            let (i, node) = match *instr {
                Instr::Op(i, node) => (i as usize, node),
                Instr::Fused {
                    dst,
                    outer,
                    inner,
                    a,
                    b,
                    c,
                    inner_left,
                } => {
                    // SAFETY: as below; a, b, c are registers below dst or inputs.
                    let out = unsafe { &mut (*regs.add(dst as usize)).0 };
                    let r = operand;
                    fused(out, outer, inner, [r(a), r(b), r(c)], inner_left);
                    continue;
                }
            };
            // SAFETY: `compile` orders the code so that every operand of
            // instruction `i` is a register below `i` (children come first),
            // and `regs` has one register per instruction (checked above):
            // the output and the operands are distinct, in-bounds registers.
            let out = unsafe { &mut (*regs.add(i)).0 };
            let r = operand;
            match node {
                Node::Var(c) => *out = x[c as usize],
                Node::Loss => *out = *loss,
                Node::Grad => *out = *grad,
                Node::Neg(a) => unary(out, r(a), |a| -a),
                Node::Add(a, b) => binary(out, r(a), r(b), |a, b| a + b),
                Node::Sub(a, b) => binary(out, r(a), r(b), |a, b| a - b),
                Node::Mul(a, b) => binary(out, r(a), r(b), |a, b| a * b),
                Node::Div(a, b) => binary(out, r(a), r(b), |a, b| a / b),
                Node::Sqrt(a) => unary(out, r(a), f32::sqrt),
                Node::Exp(a) => unary(out, r(a), fastmath::exp),
                Node::Ln(a) => unary(out, r(a), ln_total),
                Node::Sin(a) => unary(out, r(a), |a| fastmath::sin_cos(a).0),
                Node::Cos(a) => unary(out, r(a), |a| fastmath::sin_cos(a).1),
                Node::Abs(a) => unary(out, r(a), f32::abs),
                Node::Min(a, b) => binary(out, r(a), r(b), wgsl_min),
                Node::Max(a, b) => binary(out, r(a), r(b), wgsl_max),
                Node::Select(cmp, a, b, t, e) => {
                    let operands = [r(a), r(b), r(t), r(e)];
                    match cmp {
                        Cmp::Lt => select(out, operands, |a, b| a < b),
                        Cmp::Le => select(out, operands, |a, b| a <= b),
                        Cmp::Gt => select(out, operands, |a, b| a > b),
                        Cmp::Ge => select(out, operands, |a, b| a >= b),
                        Cmp::Eq => select(out, operands, |a, b| a == b),
                        Cmp::Ne => select(out, operands, |a, b| a != b),
                    }
                }
                Node::Const(_) | Node::Param(_) => {
                    unreachable!("invariant registers come first")
                }
            }
        }
    }

    /// Output `k` after [`Self::run_lanes`].
    #[inline(always)]
    pub fn output<'s>(&self, scratch: &'s Scratch, k: usize) -> &'s Lanes {
        &scratch.regs[self.outputs[k] as usize].0
    }

    /// The WGSL statements computing the program (`let <prefix><i> = ...;`,
    /// each line starting with `indent`) and the names of its outputs. `params` is the slot
    /// array (`p.potential`), `x` the state array, `loss` and `grad` the names
    /// of `u` and of the gradient input.
    pub fn wgsl(
        &self,
        indent: &str,
        prefix: &str,
        params: &str,
        x: &str,
        loss: &str,
        grad: &str,
    ) -> (String, Vec<String>) {
        let r = |k: u32| format!("{prefix}{k}");
        let mut out = String::new();
        for (i, node) in self.code.iter().enumerate() {
            let value = match *node {
                Node::Const(bits) => {
                    let v = f64::from_bits(bits) as f32;
                    format!("bitcast<f32>({:#010x}u)", v.to_bits())
                }
                Node::Param(k) => format!("slot({params}, {k}u)"),
                Node::Var(k) => format!("{x}[{k}]"),
                Node::Loss => loss.to_string(),
                Node::Grad => grad.to_string(),
                Node::Neg(a) => format!("-{}", r(a)),
                Node::Add(a, b) => format!("{} + {}", r(a), r(b)),
                Node::Sub(a, b) => format!("{} - {}", r(a), r(b)),
                Node::Mul(a, b) => format!("{} * {}", r(a), r(b)),
                Node::Div(a, b) => format!("{} / {}", r(a), r(b)),
                Node::Sqrt(a) => format!("sqrt({})", r(a)),
                Node::Exp(a) => format!("fm_exp({})", r(a)),
                Node::Ln(a) => format!("user_ln({})", r(a)),
                Node::Sin(a) => format!("fm_sin_cos({}).x", r(a)),
                Node::Cos(a) => format!("fm_sin_cos({}).y", r(a)),
                Node::Abs(a) => format!("abs({})", r(a)),
                Node::Min(a, b) => format!("min({}, {})", r(a), r(b)),
                Node::Max(a, b) => format!("max({}, {})", r(a), r(b)),
                Node::Select(cmp, a, b, t, e) => {
                    format!(
                        "select({}, {}, {} {} {})",
                        r(e),
                        r(t),
                        r(a),
                        cmp.symbol(),
                        r(b)
                    )
                }
            };
            out.push_str(&format!("{indent}let {} = {value};\n", r(i as u32)));
        }
        (out, self.outputs.iter().map(|&o| r(o)).collect())
    }
}

#[inline(never)]
fn run_baseline(program: &Program, scratch: &mut Scratch, x: &[Lanes], loss: &Lanes, grad: &Lanes) {
    program.run_body(scratch, x, loss, grad)
}

/// `run_body` compiled with the target features of `$isa`, out of line.
macro_rules! run_for_isa {
    ($isa:ident, $name:ident) => {
        crate::simd::$isa! {
            #[inline(never)]
            unsafe fn $name(
                program: &Program,
                scratch: &mut Scratch,
                x: &[Lanes],
                loss: &Lanes,
                grad: &Lanes,
            ) {
                program.run_body(scratch, x, loss, grad)
            }
        }
    };
}
run_for_isa!(avx512, run_avx512);
run_for_isa!(avx2, run_avx2);

/// `exp` (`OP` 0), `ln` (1), `sin` (2) or `cos` (3) of 64 lanes: what the
/// machine code of [`super::jit`] calls, the interpreter's loops.
///
/// # Safety
/// `src` and `dst` point to 64 lanes each.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe extern "sysv64" fn transcendental<const OP: u8>(src: *const f32, dst: *mut f32) {
    // SAFETY: as the caller promises.
    let (a, out) = unsafe { (&*src.cast::<Lanes>(), &mut *dst.cast::<Lanes>()) };
    match Isa::detect() {
        // SAFETY: detected on this CPU.
        Isa::Avx512 => unsafe { transcendental_avx512::<OP>(a, out) },
        Isa::Avx2 => unsafe { transcendental_avx2::<OP>(a, out) },
        Isa::Baseline => transcendental_body::<OP>(a, out),
    }
}

#[inline(always)]
fn transcendental_body<const OP: u8>(a: &Lanes, out: &mut Lanes) {
    match OP {
        0 => unary(out, a, fastmath::exp),
        1 => unary(out, a, ln_total),
        2 => unary(out, a, |a| fastmath::sin_cos(a).0),
        _ => unary(out, a, |a| fastmath::sin_cos(a).1),
    }
}

crate::simd::avx512! {
    #[inline(never)]
    unsafe fn transcendental_avx512<const OP: u8>(a: &Lanes, out: &mut Lanes) {
        transcendental_body::<OP>(a, out)
    }
}
crate::simd::avx2! {
    #[inline(never)]
    unsafe fn transcendental_avx2<const OP: u8>(a: &Lanes, out: &mut Lanes) {
        transcendental_body::<OP>(a, out)
    }
}

fn remap(node: Node, map: &dyn Fn(Id) -> u32) -> Node {
    match node {
        Node::Const(_) | Node::Var(_) | Node::Loss | Node::Grad | Node::Param(_) => node,
        Node::Neg(a) => Node::Neg(map(a)),
        Node::Add(a, b) => Node::Add(map(a), map(b)),
        Node::Sub(a, b) => Node::Sub(map(a), map(b)),
        Node::Mul(a, b) => Node::Mul(map(a), map(b)),
        Node::Div(a, b) => Node::Div(map(a), map(b)),
        Node::Sqrt(a) => Node::Sqrt(map(a)),
        Node::Exp(a) => Node::Exp(map(a)),
        Node::Ln(a) => Node::Ln(map(a)),
        Node::Sin(a) => Node::Sin(map(a)),
        Node::Cos(a) => Node::Cos(map(a)),
        Node::Abs(a) => Node::Abs(map(a)),
        Node::Min(a, b) => Node::Min(map(a), map(b)),
        Node::Max(a, b) => Node::Max(map(a), map(b)),
        Node::Select(c, a, b, t, e) => Node::Select(c, map(a), map(b), map(t), map(e)),
    }
}

/// WGSL's `min` on numbers (NaN aside): the smaller.
#[inline(always)]
fn wgsl_min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

#[inline(always)]
fn wgsl_max(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

#[inline(always)]
fn apply(op: Arith, a: f32, b: f32) -> f32 {
    match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
    }
}

/// `outer(inner(a, b), c)` on every lane, one loop per pair of operations.
#[inline(always)]
fn fused(out: &mut Lanes, outer: Arith, inner: Arith, [a, b, c]: [&Lanes; 3], inner_left: bool) {
    macro_rules! pairs {
        ($($o:ident)*; $($i:ident)*) => {
            pairs!(@outer [$($o)*] [$($i)*])
        };
        (@outer [$($o:ident)*] $inners:tt) => {
            match outer {
                $(Arith::$o => pairs!(@inner $o $inners),)*
            }
        };
        (@inner $o:ident [$($i:ident)*]) => {
            match inner {
                $(Arith::$i => {
                    if inner_left {
                        for l in 0..LANES {
                            out[l] = apply(Arith::$o, apply(Arith::$i, a[l], b[l]), c[l]);
                        }
                    } else {
                        for l in 0..LANES {
                            out[l] = apply(Arith::$o, c[l], apply(Arith::$i, a[l], b[l]));
                        }
                    }
                })*
            }
        };
    }
    pairs!(Add Sub Mul Div; Add Sub Mul Div)
}

/// `if(a cmp b, t, e)` on every lane.
#[inline(always)]
fn select(out: &mut Lanes, [a, b, t, e]: [&Lanes; 4], holds: impl Fn(f32, f32) -> bool) {
    for l in 0..LANES {
        out[l] = if holds(a[l], b[l]) { t[l] } else { e[l] };
    }
}

#[inline(always)]
fn unary(out: &mut Lanes, a: &Lanes, f: impl Fn(f32) -> f32) {
    for l in 0..LANES {
        out[l] = f(a[l]);
    }
}

#[inline(always)]
fn binary(out: &mut Lanes, a: &Lanes, b: &Lanes, f: impl Fn(f32, f32) -> f32) {
    for l in 0..LANES {
        out[l] = f(a[l], b[l]);
    }
}
