//! x86-64 machine code for a [`super::Program`] on the CPU lanes (AVX2, eight
//! lanes per `ymm` register), assembled at run time with `dynasmrt`.
//!
//! The interpreter ([`super::Program::run_lanes`]) stores every instruction's
//! 64 lanes to memory and loads them back for the next; here the arithmetic
//! between two transcendental functions is one loop over the eight 8-lane
//! chunks whose values stay in `ymm` registers. Every instruction is the one
//! IEEE operation the interpreter performs, so the two compute the same bits:
//! `vaddps`, `vsubps`, `vmulps`, `vdivps`, `vsqrtps`; negation and `abs` as
//! sign-bit masks; WGSL's `min(a, b)` (`b < a ? b : a`) as `vminps b, a` and
//! `max` as `vmaxps b, a`; `if` as a quiet ordered compare (unordered for `!=`)
//! and a blend. `exp`, `ln`, `sin` and `cos` call the interpreter's own
//! out-of-line 64-lane loops ([`super::program::transcendental`]).
//!
//! Layout (System V): `regs` is the program's register file (`Scratch`, 64
//! lanes per register, constants and parameters already filled in), `x` the
//! coordinates (64 lanes each), `loss` and `grad` the other inputs. A value
//! that an output names, or that a later loop or call reads, is stored to its
//! register; the others live and die in `ymm` registers (spilled to their
//! register, furthest next use first, when sixteen are not enough).

// dynasm!'s expansion converts the register numbers it is given with `.into()`.
#![allow(clippy::useless_conversion)]

use super::Node;
use crate::simd::LANES;
use dynasmrt::{
    dynasm, x64::Assembler, AssemblyOffset, DynasmApi, DynasmLabelApi, ExecutableBuffer,
};

/// Bytes of one register (64 lanes) and of one chunk (a `ymm`: 8 lanes).
const LINE: i32 = (LANES * 4) as i32;
const CHUNK: i32 = 32;
const YMM: usize = 16;
/// What a `ymm` register holds between two steps of one instruction (never spilled).
const TEMPORARY: u32 = u32::MAX;

/// Compiled code of one program.
pub struct Jit {
    buffer: ExecutableBuffer,
    entry: AssemblyOffset,
}

type Entry =
    unsafe extern "sysv64" fn(regs: *mut f32, x: *const f32, loss: *const f32, grad: *const f32);

/// Where a value can be read from memory: its register, or an input.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    /// `regs + i * LINE`.
    Register(u32),
    X(u8),
    Loss,
    Grad,
}

/// A transcendental function: the 64-lane loop it calls.
fn callee(node: Node) -> Option<unsafe extern "sysv64" fn(*const f32, *mut f32)> {
    use super::program::transcendental as t;
    Some(match node {
        Node::Exp(_) => t::<0>,
        Node::Ln(_) => t::<1>,
        Node::Sin(_) => t::<2>,
        Node::Cos(_) => t::<3>,
        _ => return None,
    })
}

/// The register allocation of one loop (straight-line code, run per chunk).
struct Loop<'a> {
    code: &'a [Node],
    /// `uses[v]`: the instructions reading value `v`, ascending.
    uses: &'a [Vec<usize>],
    /// What each `ymm` register holds.
    holder: [Option<u32>; YMM],
    /// The `ymm` register holding each value, if any.
    reg: Vec<Option<u8>>,
    /// Whether the value's memory place holds it (inputs, constants: always).
    stored: Vec<bool>,
}

impl Loop<'_> {
    fn next_use(&self, v: u32, after: usize) -> usize {
        self.uses[v as usize]
            .iter()
            .copied()
            .find(|&u| u > after)
            .unwrap_or(usize::MAX)
    }

    /// A free `ymm` register, spilling the value whose next use is furthest
    /// (never one of `pinned`).
    fn free_register(&mut self, ops: &mut Assembler, at: usize, pinned: &[u8]) -> u8 {
        if let Some(r) =
            (0..YMM).find(|&r| self.holder[r].is_none() && !pinned.contains(&(r as u8)))
        {
            return r as u8;
        }
        let victim = (0..YMM)
            .filter(|r| !pinned.contains(&(*r as u8)) && self.holder[*r] != Some(TEMPORARY))
            .max_by_key(|&r| self.next_use(self.holder[r].expect("full"), at))
            .expect("sixteen registers, at most four pinned");
        let v = self.holder[victim].expect("full");
        if !self.stored[v as usize] {
            let d = (v as i32) * LINE;
            dynasm!(ops ; .arch x64 ; vmovups [rbx + r15 + d], Ry(victim as u8));
            self.stored[v as usize] = true;
        }
        self.holder[victim] = None;
        self.reg[v as usize] = None;
        victim as u8
    }

    fn place(&self, v: u32) -> Place {
        match self.code[v as usize] {
            Node::Var(k) => Place::X(k),
            Node::Loss => Place::Loss,
            Node::Grad => Place::Grad,
            _ => Place::Register(v),
        }
    }

    /// Value `v` in a `ymm` register (loaded from memory if need be).
    fn in_register(&mut self, ops: &mut Assembler, v: u32, at: usize, pinned: &[u8]) -> u8 {
        if let Some(r) = self.reg[v as usize] {
            return r;
        }
        let r = self.free_register(ops, at, pinned);
        load(ops, r, self.place(v));
        self.holder[r as usize] = Some(v);
        self.reg[v as usize] = Some(r);
        r
    }

    /// Release `v`'s register when instruction `at` is its last reader in this loop.
    fn release(&mut self, v: u32, at: usize, end: usize) {
        if self.next_use(v, at) >= end {
            if let Some(r) = self.reg[v as usize].take() {
                self.holder[r as usize] = None;
            }
        }
    }
}

/// `vmovups ymm, place` (the chunk at offset `r15`).
fn load(ops: &mut Assembler, r: u8, place: Place) {
    match place {
        Place::Register(v) => {
            let d = (v as i32) * LINE;
            dynasm!(ops ; .arch x64 ; vmovups Ry(r), [rbx + r15 + d]);
        }
        Place::X(k) => {
            let d = (k as i32) * LINE;
            dynasm!(ops ; .arch x64 ; vmovups Ry(r), [r12 + r15 + d]);
        }
        Place::Loss => dynasm!(ops ; .arch x64 ; vmovups Ry(r), [r13 + r15]),
        Place::Grad => dynasm!(ops ; .arch x64 ; vmovups Ry(r), [r14 + r15]),
    }
}

/// The binary operations with a memory or register second operand.
#[derive(Clone, Copy)]
enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    /// `vcmpps` with the predicate of a comparison: quiet, ordered (false on
    /// NaN) except `!=` (true on NaN), as Rust compares. (The named forms:
    /// dynasm's `vcmpps` with an immediate swaps its sources.)
    Compare(super::Cmp),
}

fn emit_binary(ops: &mut Assembler, op: Binary, d: u8, a: u8, b: Operand) {
    macro_rules! both {
        ($inst:ident) => {
            match b {
                Operand::Ymm(b) => dynasm!(ops ; .arch x64 ; $inst Ry(d), Ry(a), Ry(b)),
                Operand::Memory(Place::Register(v)) => {
                    let o = (v as i32) * LINE;
                    dynasm!(ops ; .arch x64 ; $inst Ry(d), Ry(a), [rbx + r15 + o])
                }
                Operand::Memory(Place::X(k)) => {
                    let o = (k as i32) * LINE;
                    dynasm!(ops ; .arch x64 ; $inst Ry(d), Ry(a), [r12 + r15 + o])
                }
                Operand::Memory(Place::Loss) => dynasm!(ops ; .arch x64 ; $inst Ry(d), Ry(a), [r13 + r15]),
                Operand::Memory(Place::Grad) => dynasm!(ops ; .arch x64 ; $inst Ry(d), Ry(a), [r14 + r15]),
            }
        };
    }
    match op {
        Binary::Add => both!(vaddps),
        Binary::Sub => both!(vsubps),
        Binary::Mul => both!(vmulps),
        Binary::Div => both!(vdivps),
        Binary::Min => both!(vminps),
        Binary::Max => both!(vmaxps),
        Binary::Compare(super::Cmp::Lt) => both!(vcmplt_oqps),
        Binary::Compare(super::Cmp::Le) => both!(vcmple_oqps),
        Binary::Compare(super::Cmp::Gt) => both!(vcmpgt_oqps),
        Binary::Compare(super::Cmp::Ge) => both!(vcmpge_oqps),
        Binary::Compare(super::Cmp::Eq) => both!(vcmpeqps),
        Binary::Compare(super::Cmp::Ne) => both!(vcmpneq_uqps),
    }
}

#[derive(Clone, Copy)]
enum Operand {
    Ymm(u8),
    Memory(Place),
}

impl Jit {
    /// Machine code for `code` (registers `0..invariant` hold constants and
    /// parameters); `None` where it cannot be assembled.
    pub fn new(code: &[Node], invariant: usize, outputs: &[u32]) -> Option<Jit> {
        let mut uses = vec![Vec::new(); code.len()];
        for (i, node) in code.iter().enumerate().skip(invariant) {
            for c in super::children(*node) {
                uses[c as usize].push(i);
            }
        }
        let is_output = |v: usize| outputs.contains(&(v as u32));
        let mut ops = Assembler::new().ok()?;
        let entry = ops.offset();
        dynasm!(ops
            ; .arch x64
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; mov rbx, rdi
            ; mov r12, rsi
            ; mov r13, rdx
            ; mov r14, rcx
        );
        // inputs that are outputs are copied to their registers, as the interpreter does
        let mut i = invariant;
        while i < code.len() {
            if let Some(f) = callee(code[i]) {
                let a = super::children(code[i])[0];
                let source = match code[a as usize] {
                    Node::Var(k) => (12u8, (k as i32) * LINE),
                    Node::Loss => (13, 0),
                    Node::Grad => (14, 0),
                    _ => (3, (a as i32) * LINE),
                };
                let d = (i as i32) * LINE;
                let (base, offset) = source;
                dynasm!(ops
                    ; .arch x64
                    ; lea rdi, [Rq(base) + offset]
                    ; lea rsi, [rbx + d]
                    ; mov rax, QWORD f as usize as i64
                    ; call rax
                );
                i += 1;
                continue;
            }
            // a loop over the chunks: instructions up to the next call
            let end = (i..code.len())
                .find(|&k| callee(code[k]).is_some())
                .unwrap_or(code.len());
            let mut state = Loop {
                code,
                uses: &uses,
                holder: [None; YMM],
                reg: vec![None; code.len()],
                stored: (0..code.len())
                    .map(|v| v < i || matches!(code[v], Node::Var(_) | Node::Loss | Node::Grad))
                    .collect(),
            };
            let top = ops.new_dynamic_label();
            dynasm!(ops
                ; .arch x64
                ; xor r15d, r15d
                ; =>top
            );
            for k in i..end {
                emit(&mut ops, &mut state, k, end)?;
                let needed_later = is_output(k) || state.next_use(k as u32, end - 1) != usize::MAX;
                let input = state.place(k as u32) != Place::Register(k as u32);
                if needed_later && (!input || is_output(k)) {
                    let r = match state.reg[k] {
                        Some(r) => r,
                        None => {
                            // an input copied to its register
                            let r = state.free_register(&mut ops, k, &[]);
                            load(&mut ops, r, state.place(k as u32));
                            r
                        }
                    };
                    let d = (k as i32) * LINE;
                    dynasm!(ops ; .arch x64 ; vmovups [rbx + r15 + d], Ry(r));
                    state.stored[k] = true;
                }
                if state.next_use(k as u32, k) >= end {
                    if let Some(r) = state.reg[k].take() {
                        state.holder[r as usize] = None;
                    }
                }
            }
            dynasm!(ops
                ; .arch x64
                ; add r15, CHUNK
                ; cmp r15, LINE
                ; jne =>top
            );
            i = end;
        }
        dynasm!(ops
            ; .arch x64
            ; vzeroupper
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; ret
            ; .align 32
            ; ->sign:
            ; .u32 0x8000_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000, 0x8000_0000
            ; ->magnitude:
            ; .u32 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff
        );
        let buffer = ops.finalize().ok()?;
        Some(Jit { buffer, entry })
    }

    /// Run the code.
    ///
    /// # Safety
    /// `regs` is the program's register file (one 64-lane line per
    /// instruction), `x` holds every coordinate the program reads, and the
    /// CPU has AVX2.
    pub unsafe fn run(&self, regs: *mut f32, x: *const f32, loss: *const f32, grad: *const f32) {
        let f: Entry = unsafe { std::mem::transmute(self.buffer.ptr(self.entry)) };
        unsafe { f(regs, x, loss, grad) }
    }
}

/// One arithmetic instruction `k` of a chunk loop ending before `end`.
fn emit(ops: &mut Assembler, s: &mut Loop, k: usize, end: usize) -> Option<()> {
    let operand = |s: &mut Loop, v: u32| match s.reg[v as usize] {
        Some(r) => Operand::Ymm(r),
        None => Operand::Memory(s.place(v)),
    };
    let pin = |o: Operand| match o {
        Operand::Ymm(r) => Some(r),
        Operand::Memory(_) => None,
    };
    let binary = |ops: &mut Assembler, s: &mut Loop, op: Binary, first: u32, second: u32| {
        let b = operand(s, second);
        let a = s.in_register(ops, first, k, &pin(b).into_iter().collect::<Vec<_>>());
        let b = operand(s, second);
        s.release(first, k, end);
        s.release(second, k, end);
        // (an operand's register may be taken: it is read before the result is written)
        let d = s.free_register(ops, k, &[]);
        emit_binary(ops, op, d, a, b);
        d
    };
    let d = match s.code[k] {
        Node::Var(_) | Node::Loss | Node::Grad => return Some(()),
        Node::Add(a, b) => binary(ops, s, Binary::Add, a, b),
        Node::Sub(a, b) => binary(ops, s, Binary::Sub, a, b),
        Node::Mul(a, b) => binary(ops, s, Binary::Mul, a, b),
        Node::Div(a, b) => binary(ops, s, Binary::Div, a, b),
        // WGSL min(a, b) = b < a ? b : a = vminps(b, a); max likewise
        Node::Min(a, b) => binary(ops, s, Binary::Min, b, a),
        Node::Max(a, b) => binary(ops, s, Binary::Max, b, a),
        Node::Neg(a) | Node::Abs(a) | Node::Sqrt(a) => {
            let r = s.in_register(ops, a, k, &[]);
            s.release(a, k, end);
            let d = s.free_register(ops, k, &[]);
            match s.code[k] {
                Node::Neg(_) => dynasm!(ops ; .arch x64 ; vxorps Ry(d), Ry(r), [->sign]),
                Node::Abs(_) => dynasm!(ops ; .arch x64 ; vandps Ry(d), Ry(r), [->magnitude]),
                _ => dynasm!(ops ; .arch x64 ; vsqrtps Ry(d), Ry(r)),
            }
            d
        }
        Node::Select(cmp, a, b, t, e) => {
            let bo = operand(s, b);
            let ra = s.in_register(ops, a, k, &pin(bo).into_iter().collect::<Vec<_>>());
            let bo = operand(s, b);
            let mask = s.free_register(ops, k, &[]);
            emit_binary(ops, Binary::Compare(cmp), mask, ra, bo);
            // the mask's register is taken until the blend
            s.holder[mask as usize] = Some(TEMPORARY);
            let to = operand(s, t);
            let re = s.in_register(
                ops,
                e,
                k,
                &[Some(mask), pin(to)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
            );
            let to = operand(s, t);
            let rt = match to {
                Operand::Ymm(r) => r,
                Operand::Memory(_) => s.in_register(ops, t, k, &[mask, re]),
            };
            for v in [a, b, t, e] {
                s.release(v, k, end);
            }
            s.holder[mask as usize] = None;
            let d = s.free_register(ops, k, &[]);
            dynasm!(ops ; .arch x64 ; vblendvps Ry(d), Ry(re), Ry(rt), Ry(mask));
            d
        }
        Node::Const(_)
        | Node::Param(_)
        | Node::Exp(_)
        | Node::Ln(_)
        | Node::Sin(_)
        | Node::Cos(_) => {
            return None;
        }
    };
    s.holder[d as usize] = Some(k as u32);
    s.reg[k] = Some(d);
    s.stored[k] = false;
    Some(())
}
