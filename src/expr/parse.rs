//! The formula parser: a tokenizer and a recursive-descent parser straight
//! into a [`Graph`] (grammar in the module docs of [`super`]). Errors name the
//! field, the column and what is allowed there.

use super::{Cmp, Graph, Id, Node};
use crate::error::{Error, Result};

/// Largest number of parameters one model family's formulas read (the slots
/// of its part of the kernels' case record).
pub const MAX_PARAMS: usize = 8;

/// Function names and their arities.
const FUNCTIONS: &[(&str, usize)] = &[
    ("sqrt", 1),
    ("exp", 1),
    ("ln", 1),
    ("log", 1),
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("tanh", 1),
    ("abs", 1),
    ("min", 2),
    ("max", 2),
    ("if", 3),
];

/// What a formula may name.
pub struct Scope<'a> {
    /// The file field it comes from (`potential.u`), for messages.
    pub field: &'a str,
    /// State dimension: the coordinates `x1..x{dim}` may appear (and `x` when it is 1).
    pub dim: usize,
    /// `u`, the potential's value, may appear (noise formulas).
    pub loss: bool,
    /// The names of the file's `[params]`.
    pub params: &'a [String],
}

impl Scope<'_> {
    fn variables(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if self.dim == 1 {
            names.push("x".into());
        }
        names.extend((1..=self.dim).map(|k| format!("x{k}")));
        if self.loss {
            names.push("u".into());
        }
        names
    }

    /// Everything a name may be, for messages.
    fn allowed_names(&self) -> String {
        let mut names = self.variables();
        names.extend(self.params.iter().cloned());
        names.push("pi".into());
        format!(
            "a variable or parameter: {} (parameters are declared in [params])",
            names.join(", ")
        )
    }
}

/// Whether `name` is reserved (a variable, function or constant name), so
/// that `[params]` cannot shadow it.
pub fn is_reserved(name: &str) -> bool {
    name == "x"
        || name == "u"
        || name == "pi"
        || FUNCTIONS.iter().any(|(f, _)| *f == name)
        || name
            .strip_prefix('x')
            .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()))
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Op(&'static str),
    End,
}

struct Lexed {
    token: Token,
    /// 1-based column of its first character.
    column: usize,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(v) => format!("the number {v}"),
        Token::Name(n) => format!("`{n}`"),
        Token::Op(o) => format!("`{o}`"),
        Token::End => "the end of the formula".into(),
    }
}

struct Parser<'s, 'g> {
    source: &'s str,
    tokens: Vec<Lexed>,
    at: usize,
    scope: &'s Scope<'s>,
    graph: &'g mut Graph,
    slots: &'g mut Vec<String>,
}

/// Parse `source` into `graph`; parameters it reads get slots in `slots`
/// (shared by the formulas of one model family). Errors exit 2 in the CLI,
/// naming the field and the column.
pub fn parse(
    graph: &mut Graph,
    source: &str,
    scope: &Scope,
    slots: &mut Vec<String>,
) -> Result<Id> {
    let tokens = lex(source, scope.field)?;
    let mut parser = Parser {
        source,
        tokens,
        at: 0,
        scope,
        graph,
        slots,
    };
    let root = parser.expr()?;
    let last = parser.peek();
    if last.token != Token::End {
        let message = match last.token {
            Token::Op(")") => "unmatched `)`".to_string(),
            Token::Op(op) if ["<", "<=", ">", ">=", "==", "!="].contains(&op) => {
                format!("a comparison `{op}` outside `if(...)`")
            }
            _ => format!(
                "unexpected {} after a complete formula",
                describe(&last.token)
            ),
        };
        return Err(parser.error_at(
            last.column,
            message,
            "an operator + - * / ^ between two values, or the end",
        ));
    }
    Ok(root)
}

fn lex(source: &str, field: &str) -> Result<Vec<Lexed>> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text.parse().map_err(|_| {
                expression_error(
                    field,
                    source,
                    column,
                    format!("`{text}` is not a number"),
                    "a decimal number such as 2, 0.5 or 1e-3",
                )
            })?;
            out.push(Lexed {
                token: Token::Number(value),
                column,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Lexed {
                token: Token::Name(chars[start..i].iter().collect()),
                column,
            });
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = ["<=", ">=", "==", "!="]
            .into_iter()
            .find(|o| *o == two)
            .or_else(|| {
                ["+", "-", "*", "/", "^", "(", ")", ",", "<", ">"]
                    .into_iter()
                    .find(|o| o.starts_with(c))
            });
        match op {
            Some(op) => {
                i += op.len();
                out.push(Lexed {
                    token: Token::Op(op),
                    column,
                });
            }
            None => {
                return Err(expression_error(
                    field,
                    source,
                    column,
                    format!("unexpected character `{c}`"),
                    "numbers, names, + - * / ^ ( ) , and in if(...) < <= > >= == !=",
                ))
            }
        }
    }
    out.push(Lexed {
        token: Token::End,
        column: chars.len() + 1,
    });
    Ok(out)
}

/// An error in formula `source` of `field` at `column`.
pub fn expression_error(
    field: &str,
    source: &str,
    column: usize,
    message: impl Into<String>,
    allowed: impl Into<String>,
) -> Error {
    Error::Expression {
        field: field.to_string(),
        formula: source.to_string(),
        column,
        message: message.into(),
        allowed: allowed.into(),
    }
}

impl Parser<'_, '_> {
    fn peek(&self) -> &Lexed {
        &self.tokens[self.at]
    }

    fn next(&mut self) -> (Token, usize) {
        let t = &self.tokens[self.at];
        let out = (t.token.clone(), t.column);
        if t.token != Token::End {
            self.at += 1;
        }
        out
    }

    fn error_at(
        &self,
        column: usize,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Error {
        expression_error(self.scope.field, self.source, column, message, allowed)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.peek().token == Token::Op(leak(op)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, op: &'static str, what: &str) -> Result<()> {
        if self.eat(op) {
            return Ok(());
        }
        let t = self.peek();
        Err(self.error_at(
            t.column,
            format!("expected `{op}` {what}, found {}", describe(&t.token)),
            format!("`{op}`"),
        ))
    }

    fn expr(&mut self) -> Result<Id> {
        let mut left = self.term()?;
        loop {
            if self.eat("+") {
                let right = self.term()?;
                left = self.graph.add(left, right);
            } else if self.eat("-") {
                let right = self.term()?;
                left = self.graph.sub(left, right);
            } else {
                return Ok(left);
            }
        }
    }

    fn term(&mut self) -> Result<Id> {
        let mut left = self.unary()?;
        loop {
            if self.eat("*") {
                let right = self.unary()?;
                left = self.graph.mul(left, right);
            } else if self.eat("/") {
                let right = self.unary()?;
                left = self.graph.div(left, right);
            } else {
                return Ok(left);
            }
        }
    }

    fn unary(&mut self) -> Result<Id> {
        if self.eat("-") {
            let a = self.unary()?;
            return Ok(self.graph.neg(a));
        }
        if self.eat("+") {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Id> {
        let base = self.atom()?;
        if self.eat("^") {
            let exponent = self.unary()?;
            return Ok(self.graph.pow(base, exponent));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Id> {
        let (token, column) = self.next();
        match token {
            Token::Number(v) => Ok(self.graph.constant(v)),
            Token::Op("(") => {
                let inner = self.expr()?;
                self.expect(")", "to close the `(`")?;
                Ok(inner)
            }
            Token::Name(name) => {
                if self.peek().token == Token::Op("(") {
                    self.at += 1;
                    return self.call(&name, column);
                }
                self.name(&name, column)
            }
            other => Err(self.error_at(
                column,
                format!("expected a value, found {}", describe(&other)),
                "a number, a name, a function call, `(` or `-`",
            )),
        }
    }

    fn name(&mut self, name: &str, column: usize) -> Result<Id> {
        if name == "pi" {
            return Ok(self.graph.constant(std::f64::consts::PI));
        }
        if name == "x" {
            if self.scope.dim == 1 {
                return Ok(self.graph.input(Node::Var(0)));
            }
            return Err(self.error_at(
                column,
                format!(
                    "`x` is the coordinate of a 1-D model; this experiment has dim = {}",
                    self.scope.dim
                ),
                format!("x1 .. x{}", self.scope.dim),
            ));
        }
        if let Some(k) = name.strip_prefix('x').and_then(|k| k.parse::<usize>().ok()) {
            if (1..=self.scope.dim).contains(&k) && name == format!("x{k}") {
                return Ok(self.graph.input(Node::Var((k - 1) as u8)));
            }
            return Err(self.error_at(
                column,
                format!(
                    "`{name}` is not a coordinate of this experiment (dim = {})",
                    self.scope.dim
                ),
                self.scope.allowed_names(),
            ));
        }
        if name == "u" {
            if self.scope.loss {
                return Ok(self.graph.input(Node::Loss));
            }
            return Err(self.error_at(
                column,
                "`u` (the potential's value) can appear only in noise formulas",
                self.scope.allowed_names(),
            ));
        }
        if let Some(f) = FUNCTIONS.iter().find(|(f, _)| *f == name) {
            return Err(self.error_at(
                column,
                format!("`{name}` is a function: call it as {name}(...)"),
                format!("{}({})", f.0, vec!["a"; f.1].join(", ")),
            ));
        }
        if self.scope.params.iter().any(|p| p == name) {
            let slot = match self.slots.iter().position(|s| s == name) {
                Some(k) => k,
                None => {
                    if self.slots.len() == MAX_PARAMS {
                        return Err(self.error_at(
                            column,
                            format!(
                                "`{name}` would be parameter number {} of this model part",
                                MAX_PARAMS + 1
                            ),
                            format!(
                                "at most {MAX_PARAMS} parameters in the formulas of one table ({})",
                                self.slots.join(", ")
                            ),
                        ));
                    }
                    self.slots.push(name.to_string());
                    self.slots.len() - 1
                }
            };
            return Ok(self.graph.input(Node::Param(slot as u8)));
        }
        Err(self.error_at(
            column,
            format!("unknown name `{name}`"),
            self.scope.allowed_names(),
        ))
    }

    fn call(&mut self, name: &str, column: usize) -> Result<Id> {
        let Some(&(_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
            let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
            return Err(self.error_at(
                column,
                format!("unknown function `{name}`"),
                format!("one of {}", names.join(", ")),
            ));
        };
        let mut args = Vec::new();
        let mut comparison = None;
        if self.peek().token != Token::Op(")") {
            loop {
                if name == "if" && args.is_empty() {
                    let left = self.expr()?;
                    let (token, at) = self.next();
                    let cmp = match token {
                        Token::Op("<") => Cmp::Lt,
                        Token::Op("<=") => Cmp::Le,
                        Token::Op(">") => Cmp::Gt,
                        Token::Op(">=") => Cmp::Ge,
                        Token::Op("==") => Cmp::Eq,
                        Token::Op("!=") => Cmp::Ne,
                        other => {
                            return Err(self.error_at(
                                at,
                                format!(
                                    "`if` starts with a comparison; found {}",
                                    describe(&other)
                                ),
                                "if(a < b, then, else) with < <= > >= == !=",
                            ))
                        }
                    };
                    let right = self.expr()?;
                    comparison = Some((cmp, left, right));
                    args.push(left);
                } else {
                    args.push(self.expr()?);
                }
                if !self.eat(",") {
                    break;
                }
            }
        }
        let close = self.peek().column;
        self.expect(")", &format!("to close `{name}(`"))?;
        if args.len() != arity {
            return Err(self.error_at(
                column,
                format!(
                    "`{name}` takes {arity} argument{}, given {}",
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
                format!(
                    "{name}({})",
                    if name == "if" {
                        "a < b, then, else".to_string()
                    } else {
                        vec!["a"; arity].join(", ")
                    }
                ),
            ));
        }
        let _ = close;
        let g = &mut *self.graph;
        Ok(match name {
            "sqrt" => g.unary(Node::Sqrt, args[0]),
            "exp" => g.unary(Node::Exp, args[0]),
            "ln" | "log" => g.unary(Node::Ln, args[0]),
            "sin" => g.unary(Node::Sin, args[0]),
            "cos" => g.unary(Node::Cos, args[0]),
            "tan" => {
                let sin = g.unary(Node::Sin, args[0]);
                let cos = g.unary(Node::Cos, args[0]);
                g.div(sin, cos)
            }
            "tanh" => {
                // 1 - 2 / (exp(2a) + 1): saturates to +-1 without inf / inf
                let two = g.constant(2.0);
                let one = g.constant(1.0);
                let twice = g.mul(two, args[0]);
                let e = g.unary(Node::Exp, twice);
                let denominator = g.add(e, one);
                let fraction = g.div(two, denominator);
                g.sub(one, fraction)
            }
            "abs" => g.unary(Node::Abs, args[0]),
            "min" => g.min(args[0], args[1]),
            "max" => g.max(args[0], args[1]),
            "if" => {
                let (cmp, left, right) = comparison.expect("if parsed its comparison");
                g.select(cmp, left, right, args[1], args[2])
            }
            _ => unreachable!("every listed function is built"),
        })
    }
}

/// The `&'static str` of an operator spelled like `op`.
fn leak(op: &str) -> &'static str {
    [
        "+", "-", "*", "/", "^", "(", ")", ",", "<", ">", "<=", ">=", "==", "!=",
    ]
    .into_iter()
    .find(|o| *o == op)
    .expect("a known operator")
}
