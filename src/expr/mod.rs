//! Expression models: potentials, noise variances and exit tests written as
//! formulas in the experiment file. A formula is parsed ([`parse`]) into a
//! hash-consed graph ([`Graph`]), differentiated symbolically
//! ([`Graph::derivative`]) and compiled into straight-line [`Program`]s, which
//! run three ways from the same instruction list, so that they agree:
//! - in f64, for the exact 1-D theory ([`Program::eval`]);
//! - in f32 on the CPU backend's SIMD lanes ([`Program::run_lanes`]), with the
//!   kernels' shared Cephes `exp`, `ln` and `sin_cos`;
//! - as a WGSL function body ([`Program::wgsl`]), one `let` per instruction in
//!   the same order, with the same fastmath functions.
//!
//! Grammar (precedence from loosest to tightest):
//!
//! ```text
//! expr    = term (("+" | "-") term)*
//! term    = unary (("*" | "/") unary)*
//! unary   = "-" unary | power
//! power   = atom ("^" unary)?                  right-associative: 2^-x, -x^2 = -(x^2)
//! atom    = number | name | name "(" args ")" | "(" expr ")"
//! if(a < b, then, else)                        the comparison: < <= > >= == !=
//! ```
//!
//! Functions: `sqrt exp ln log` (both natural) `sin cos tan tanh abs` (one
//! argument), `min max` (two), `if` (a comparison and two values). `pi` is a
//! constant. A power with a constant integer exponent (|n| <= 64) is repeated
//! multiplication; any other power `a^b` is `exp(b ln a)` (defined for `a > 0`).
//! Derivatives: `abs'(a) = sign(a)` (0 at 0); `min(a, b)' = a'` where `a <= b`,
//! else `b'`; `max(a, b)' = a'` where `a >= b`, else `b'`; `if(c, a, b)' =
//! if(c, a', b')`: the derivative of the branch taken, so a piecewise formula
//! whose pieces join with a kink has a one-sided derivative at the joint.

#[cfg(target_arch = "x86_64")]
mod jit;
mod parse;
mod program;

pub use parse::{is_reserved, parse, Scope, MAX_PARAMS};
pub use program::{ln_total, Program, Scratch, WGSL_HELPERS};

use std::collections::HashMap;

/// A node's index in its [`Graph`]; children always have smaller indices.
pub type Id = u32;

/// A comparison of `if`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Cmp {
    /// Whether `a cmp b` is true (false for any comparison with NaN but `!=`).
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
    /// The comparison as written in a formula and in WGSL (`"<"`, `"<="`, ...).
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }
}

/// One operation. Inputs: `Var(k)` is coordinate `x_{k+1}`, `Loss` the
/// potential's value `u` (noise formulas), `Grad` the potential's gradient
/// along the coordinate a noise formula is evaluated for (only in derivatives
/// through `u`), `Param(k)` slot `k` of the family's parameter record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// An f64 constant, by its bits.
    Const(u64),
    /// Coordinate `x_{k+1}` of the state.
    Var(u8),
    /// The potential's value `u = L(x)` (noise formulas only).
    Loss,
    /// The potential's gradient along the noise formula's coordinate (derivatives through `u`).
    Grad,
    /// Slot `k` of the family's parameter record.
    Param(u8),
    /// `-a`.
    Neg(Id),
    /// `a + b` (operands stored in index order: the sum commutes).
    Add(Id, Id),
    /// `a - b`.
    Sub(Id, Id),
    /// `a * b` (operands stored in index order: the product commutes).
    Mul(Id, Id),
    /// `a / b`.
    Div(Id, Id),
    /// `sqrt(a)`.
    Sqrt(Id),
    /// `exp(a)`.
    Exp(Id),
    /// Natural logarithm `ln(a)`.
    Ln(Id),
    /// `sin(a)`.
    Sin(Id),
    /// `cos(a)`.
    Cos(Id),
    /// `|a|`.
    Abs(Id),
    /// `min(a, b)`.
    Min(Id, Id),
    /// `max(a, b)`.
    Max(Id, Id),
    /// `if(a cmp b, then, else)`.
    Select(Cmp, Id, Id, Id, Id),
}

/// What a derivative is taken with respect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wrt {
    /// Coordinate `x_{k+1}`.
    Var(u8),
    /// The potential's value `u` (a noise formula's `dD/du`).
    Loss,
}

/// A hash-consed expression graph: equal subexpressions are one node, built
/// through constructors that fold constants and drop `+ 0`, `* 1`, `* 0`.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Node, Id>,
}

#[allow(
    clippy::redundant_guards,
    reason = "the simplification rules read as arithmetic: x + 0, x * 1"
)]
impl Graph {
    /// The node with index `id` (panics if there is none).
    pub fn node(&self, id: Id) -> Node {
        self.nodes[id as usize]
    }

    /// Number of distinct nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no node yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn intern(&mut self, node: Node) -> Id {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = self.nodes.len() as Id;
        self.nodes.push(node);
        self.index.insert(node, id);
        id
    }

    /// The constant `v` (`-0` is stored as `+0`).
    pub fn constant(&mut self, v: f64) -> Id {
        // one zero: -0 and +0 fold alike
        let v = if v == 0.0 { 0.0 } else { v };
        self.intern(Node::Const(v.to_bits()))
    }

    /// The value of a constant node.
    pub fn value_of(&self, id: Id) -> Option<f64> {
        match self.node(id) {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// A leaf node (`Var`, `Loss`, `Grad` or `Param`), interned as it is.
    pub fn input(&mut self, node: Node) -> Id {
        self.intern(node)
    }

    /// `-a`: folded for a constant, `-(-x)` gives `x`.
    pub fn neg(&mut self, a: Id) -> Id {
        match self.node(a) {
            Node::Const(_) => {
                let v = -self.value_of(a).unwrap();
                self.constant(v)
            }
            Node::Neg(inner) => inner,
            _ => self.intern(Node::Neg(a)),
        }
    }

    /// `a + b`: folded for constants, `x + 0` gives `x`.
    pub fn add(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x + y),
            (Some(x), _) if x == 0.0 => b,
            (_, Some(y)) if y == 0.0 => a,
            // commutative: one node for a + b and b + a (IEEE sums are exact in either order)
            _ => self.intern(Node::Add(a.min(b), a.max(b))),
        }
    }

    /// `a - b`: folded for constants, `x - 0` gives `x`, `0 - x` gives `-x`, `x - x` gives 0.
    pub fn sub(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x - y),
            (Some(x), _) if x == 0.0 => self.neg(b),
            (_, Some(y)) if y == 0.0 => a,
            _ if a == b => self.constant(0.0),
            _ => self.intern(Node::Sub(a, b)),
        }
    }

    /// `a * b`: folded for constants, with `x * 0 = 0`, `x * 1 = x` and `x * -1 = -x`.
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x * y),
            (Some(x), _) | (_, Some(x)) if x == 0.0 => self.constant(0.0),
            (Some(x), _) if x == 1.0 => b,
            (_, Some(y)) if y == 1.0 => a,
            (Some(x), _) if x == -1.0 => self.neg(b),
            (_, Some(y)) if y == -1.0 => self.neg(a),
            _ => self.intern(Node::Mul(a.min(b), a.max(b))),
        }
    }

    /// `a / b`: folded for constants (not a division by 0), with `0 / x = 0` and `x / 1 = x`.
    pub fn div(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) if y != 0.0 => self.constant(x / y),
            (Some(x), _) if x == 0.0 => self.constant(0.0),
            (_, Some(y)) if y == 1.0 => a,
            _ => self.intern(Node::Div(a, b)),
        }
    }

    /// A unary function node, folded when its argument is constant.
    pub fn unary(&mut self, make: fn(Id) -> Node, a: Id) -> Id {
        let node = make(a);
        if let Some(v) = self.value_of(a) {
            let folded = match node {
                Node::Sqrt(_) if v >= 0.0 => Some(v.sqrt()),
                Node::Exp(_) => Some(v.exp()),
                Node::Ln(_) if v > 0.0 => Some(v.ln()),
                Node::Sin(_) => Some(v.sin()),
                Node::Cos(_) => Some(v.cos()),
                Node::Abs(_) => Some(v.abs()),
                _ => None,
            };
            if let Some(f) = folded.filter(|f| f.is_finite()) {
                return self.constant(f);
            }
        }
        self.intern(node)
    }

    /// `min(a, b)`: folded for constants, `min(x, x)` gives `x`.
    pub fn min(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x.min(y)),
            _ if a == b => a,
            _ => self.intern(Node::Min(a, b)),
        }
    }

    /// `max(a, b)`: folded for constants, `max(x, x)` gives `x`.
    pub fn max(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x.max(y)),
            _ if a == b => a,
            _ => self.intern(Node::Max(a, b)),
        }
    }

    /// `if(a cmp b, then, otherwise)`: decided now when `a` and `b` are constants or both
    /// branches are the same node.
    pub fn select(&mut self, cmp: Cmp, a: Id, b: Id, then: Id, otherwise: Id) -> Id {
        if then == otherwise {
            return then;
        }
        if let (Some(x), Some(y)) = (self.value_of(a), self.value_of(b)) {
            return if cmp.holds(x, y) { then } else { otherwise };
        }
        self.intern(Node::Select(cmp, a, b, then, otherwise))
    }

    /// `a^n` for an integer `n` (|n| <= 64): repeated squaring, the reciprocal for `n < 0`.
    pub fn powi(&mut self, a: Id, n: i32) -> Id {
        let mut result: Option<Id> = None;
        let mut base = a;
        let mut k = n.unsigned_abs();
        while k > 0 {
            if k & 1 == 1 {
                result = Some(match result {
                    None => base,
                    Some(r) => self.mul(r, base),
                });
            }
            k >>= 1;
            if k > 0 {
                base = self.mul(base, base);
            }
        }
        let positive = result.unwrap_or_else(|| self.constant(1.0));
        if n < 0 {
            let one = self.constant(1.0);
            self.div(one, positive)
        } else {
            positive
        }
    }

    /// `a^b`: [`Self::powi`] for a constant integer `b`, else `exp(b ln a)`.
    pub fn pow(&mut self, a: Id, b: Id) -> Id {
        if let Some(e) = self.value_of(b) {
            if e.fract() == 0.0 && e.abs() <= 64.0 {
                return self.powi(a, e as i32);
            }
        }
        let ln = self.unary(Node::Ln, a);
        let product = self.mul(b, ln);
        self.unary(Node::Exp, product)
    }

    /// `sign(a)`: -1, 0 or 1.
    pub fn sign(&mut self, a: Id) -> Id {
        let zero = self.constant(0.0);
        let one = self.constant(1.0);
        let minus = self.constant(-1.0);
        let negative = self.select(Cmp::Lt, a, zero, minus, zero);
        self.select(Cmp::Gt, a, zero, one, negative)
    }

    /// The derivative of node `id` (memoized in `memo`, per `wrt`).
    pub fn derivative(&mut self, id: Id, wrt: Wrt, memo: &mut HashMap<Id, Id>) -> Id {
        if let Some(&d) = memo.get(&id) {
            return d;
        }
        let zero = self.constant(0.0);
        let one = self.constant(1.0);
        let d = match self.node(id) {
            Node::Const(_) | Node::Param(_) | Node::Grad => zero,
            Node::Var(k) => {
                if wrt == Wrt::Var(k) {
                    one
                } else {
                    zero
                }
            }
            Node::Loss => {
                if wrt == Wrt::Loss {
                    one
                } else {
                    zero
                }
            }
            Node::Neg(a) => {
                let da = self.derivative(a, wrt, memo);
                self.neg(da)
            }
            Node::Add(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                self.add(da, db)
            }
            Node::Sub(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                self.sub(da, db)
            }
            Node::Mul(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                let left = self.mul(da, b);
                let right = self.mul(a, db);
                self.add(left, right)
            }
            Node::Div(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                let left = self.div(da, b);
                let quotient = self.mul(id, db);
                let right = self.div(quotient, b);
                self.sub(left, right)
            }
            Node::Sqrt(a) => {
                let da = self.derivative(a, wrt, memo);
                let two = self.constant(2.0);
                let twice = self.mul(two, id);
                self.div(da, twice)
            }
            Node::Exp(a) => {
                let da = self.derivative(a, wrt, memo);
                self.mul(id, da)
            }
            Node::Ln(a) => {
                let da = self.derivative(a, wrt, memo);
                self.div(da, a)
            }
            Node::Sin(a) => {
                let da = self.derivative(a, wrt, memo);
                let cos = self.unary(Node::Cos, a);
                self.mul(cos, da)
            }
            Node::Cos(a) => {
                let da = self.derivative(a, wrt, memo);
                let sin = self.unary(Node::Sin, a);
                let product = self.mul(sin, da);
                self.neg(product)
            }
            Node::Abs(a) => {
                let da = self.derivative(a, wrt, memo);
                let sign = self.sign(a);
                self.mul(sign, da)
            }
            Node::Min(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                self.select(Cmp::Le, a, b, da, db)
            }
            Node::Max(a, b) => {
                let (da, db) = (self.derivative(a, wrt, memo), self.derivative(b, wrt, memo));
                self.select(Cmp::Ge, a, b, da, db)
            }
            Node::Select(cmp, a, b, t, e) => {
                let (dt, de) = (self.derivative(t, wrt, memo), self.derivative(e, wrt, memo));
                self.select(cmp, a, b, dt, de)
            }
        };
        memo.insert(id, d);
        d
    }

    /// `d/d wrt` of `id`, with a fresh memo.
    pub fn d(&mut self, id: Id, wrt: Wrt) -> Id {
        self.derivative(id, wrt, &mut HashMap::new())
    }

    /// Whether `id` depends on an input for which `pick` holds.
    pub fn depends(&self, id: Id, pick: &dyn Fn(Node) -> bool) -> bool {
        let mut seen = vec![false; id as usize + 1];
        seen[id as usize] = true;
        for i in (0..=id as usize).rev() {
            if !seen[i] {
                continue;
            }
            let node = self.nodes[i];
            if pick(node) {
                return true;
            }
            for child in children(node) {
                seen[child as usize] = true;
            }
        }
        false
    }

    /// The switching functions of the non-smooth nodes `id` depends on (the
    /// difference of an `if`'s sides, of `min`/`max` arguments, `abs`'s
    /// argument): where one changes sign, the formula may have a kink.
    pub fn switches(&mut self, id: Id) -> Vec<Id> {
        let mut seen = vec![false; id as usize + 1];
        seen[id as usize] = true;
        let mut found = Vec::new();
        for i in (0..=id as usize).rev() {
            if !seen[i] {
                continue;
            }
            let node = self.nodes[i];
            match node {
                Node::Select(_, a, b, _, _) | Node::Min(a, b) | Node::Max(a, b) => {
                    found.push((a, Some(b)))
                }
                Node::Abs(a) => found.push((a, None)),
                _ => {}
            }
            for child in children(node) {
                seen[child as usize] = true;
            }
        }
        found
            .into_iter()
            .map(|(a, b)| match b {
                Some(b) => self.sub(a, b),
                None => a,
            })
            .collect()
    }
}

/// The operands of a node.
pub fn children(node: Node) -> Vec<Id> {
    match node {
        Node::Const(_) | Node::Var(_) | Node::Loss | Node::Grad | Node::Param(_) => vec![],
        Node::Neg(a)
        | Node::Sqrt(a)
        | Node::Exp(a)
        | Node::Ln(a)
        | Node::Sin(a)
        | Node::Cos(a)
        | Node::Abs(a) => vec![a],
        Node::Add(a, b)
        | Node::Sub(a, b)
        | Node::Mul(a, b)
        | Node::Div(a, b)
        | Node::Min(a, b)
        | Node::Max(a, b) => vec![a, b],
        Node::Select(_, a, b, t, e) => vec![a, b, t, e],
    }
}

#[cfg(test)]
mod tests;
