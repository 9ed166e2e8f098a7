//! Exact mean first-passage times in the plane (docs/theory.md §9): the
//! backward equation `sum_j (D_j/2) d_jj T + b . grad T = -1`, `T = 0` on the
//! exit set, solved by finite volumes on a Cartesian grid.
//!
//! - **Fluxes**: Scharfetter–Gummel on every cell face. Along axis `j` the
//!   Fokker–Planck flux is `-(D_j/2)(dp/dx_j + p dpsi/dx_j)` with
//!   `dpsi/dx_j = (2 dL/dx_j + (1 - alpha) dD_j/dx_j) / D_j`; with `psi`
//!   linear across the face the flux is exact, which gives the jump rate
//!   `(D_j/2) B(psi_b - psi_a) / h^2` from cell `a` to its neighbour `b`,
//!   `B(z) = z / (e^z - 1)`. The backward operator is the generator of that
//!   jump process, so `T` is the exact mean exit time of a Markov chain on
//!   the cells: positive, and for a reversible case (`langevin`,
//!   `power-law-loss`, where `psi` is a function of `L`) in detailed balance
//!   with `exp(-psi)` exactly. Where `psi` is not a potential (`power-law`
//!   with a non-separable `L`, `expr` noise) the increment is Simpson's rule
//!   of `dpsi/dx_j` along the face's segment.
//! - **Exit boundary**: a face between a cell and a cell whose centre lies in
//!   the exit set is cut where the segment between the centres meets the
//!   boundary (bisection), at `theta h`; the rate uses that distance, so the
//!   boundary sits where it is, not on the staircase of cell centres.
//! - **Domain**: the connected part of `{L < cut}` around the start, where
//!   `level` is the lowest `L` at which the start's region touches the exit
//!   set (its saddle, found on a scan grid by a union–find sweep in `L`) and
//!   `cut` lies `margin` effective temperatures above it; faces to cells
//!   above `cut` reflect. The scan box grows until that region is closed.
//! - **Grids**: three, with `cells / 4`, `cells / 2` and `cells` active
//!   cells (spacing ratio `sqrt 2`); second order, so the reported value is
//!   the Richardson value `2 T(h) - T(sqrt2 h)` of the two finest and its
//!   error estimate the larger of that correction's change between grid
//!   pairs and the last correction itself.
//! - **Solver**: sparse LU (`rsparse`, CSparse's left-looking LU) with a
//!   nested-dissection ordering of the grid.

use crate::model::{ExitParams, NoiseParams, PotentialParams};
use crate::spec::{CaseModel, TheorySettings};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Default `margin`: the cut lies this many effective temperatures above the
/// saddle level, so the reflected region weighs about `e^-10` of the saddle's.
pub const MARGIN: f64 = 10.0;
/// Default number of active cells of the finest grid.
pub const CELLS: usize = 80_000;
/// The scan grid's cells per side (the box search and the saddle level).
const SCAN: usize = 160;

/// How an exact plane solve is set up (the experiment file's `[theory]`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaneOptions {
    /// Effective temperatures between the saddle level and the reflecting cut.
    pub margin: f64,
    /// Active cells of the finest grid.
    pub cells: usize,
}

impl Default for PlaneOptions {
    fn default() -> Self {
        PlaneOptions {
            margin: MARGIN,
            cells: CELLS,
        }
    }
}

impl From<TheorySettings> for PlaneOptions {
    fn from(settings: TheorySettings) -> Self {
        PlaneOptions {
            margin: settings.margin,
            cells: settings.cells,
        }
    }
}

/// One grid's solve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridRun {
    /// Cell width (both axes).
    pub h: f64,
    /// Active cells (unknowns).
    pub cells: usize,
    /// `T` at the start (bilinear between cell centres).
    pub mfpt: f64,
    /// Nonzeros of the LU factors.
    pub factor_nonzeros: usize,
    /// Wall time of the solve, seconds (in the table, not the JSON: a
    /// result.json is reproducible byte for byte).
    #[serde(skip_serializing, default)]
    pub seconds: f64,
}

/// `T(x)` on the finest grid: what the plot draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Lower-left corner of the grid.
    pub origin: [f64; 2],
    /// Cell width.
    pub h: f64,
    /// Cells along x and y.
    pub shape: [usize; 2],
    /// Row-major by y: `T` in active cells, 0 in exit cells, NaN elsewhere.
    pub values: Vec<f64>,
    /// The start point.
    pub start: [f64; 2],
}

/// The exact mean first-passage time of a 2-D case, with its convergence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaneReference {
    /// Richardson value of the two finest grids.
    pub mfpt: f64,
    /// Error estimate of [`Self::mfpt`] (absolute).
    pub error: f64,
    /// The grids, coarsest first.
    pub grids: Vec<GridRun>,
    /// The lowest `L` at which the start's region reaches the exit set (its
    /// saddle), on the scan grid.
    pub level: f64,
    /// The scan cell where that happens: next to the saddle, where
    /// [`crate::analysis::landscape`] starts its Newton search.
    pub saddle: [f64; 2],
    /// Where faces reflect: `L >= cut`.
    pub cut: f64,
    /// `margin` of the options.
    pub margin: f64,
    /// The box the grids cover, `[[x_lo, x_hi], [y_lo, y_hi]]`.
    pub bounds: [[f64; 2]; 2],
    /// The exit set moved inward by `0.5826 sqrt(n.D n dt)` (once-per-step
    /// monitoring, docs/theory.md §5.4) when solved for that.
    pub shifted: bool,
    /// Peak memory of the factors and the matrix, MiB (all grids at once).
    pub memory_mib: f64,
    /// Wall time of the whole solve, seconds (in the table, not the JSON).
    #[serde(skip_serializing, default)]
    pub seconds: f64,
    /// `T(x)` on the finest grid (not serialized).
    #[serde(skip)]
    pub field: Option<Field>,
}

/// Why a plane solve has no answer.
#[derive(Clone, Debug, PartialEq)]
pub struct NoAnswer(pub String);

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a case is one the plane solve covers: `d = 2`, a noise with a
/// variance law, an exit set, and a potential whose f64 physics is the
/// kernels'.
pub fn applies(case: &CaseModel) -> bool {
    case.start.len() == 2 && case.noise.is_gaussian() && !matches!(case.exit, ExitParams::None)
}

/// The physics the solve reads.
struct Problem<'a> {
    potential: &'a PotentialParams,
    noise: &'a NoiseParams,
    exit: &'a ExitParams,
    alpha: f64,
    /// `Some(dt)`: the exit set shifted inward for once-per-step monitoring.
    shift: Option<f64>,
    /// `psi` as a function of `L`, where it is one: `(coefficient, D0, k)`
    /// with `psi = c ln(D0 + k (L - Lmin))` (`k > 0`) or `2 L / D0` (`k = 0`).
    global: Option<(f64, f64, f64)>,
    loss_minimum: f64,
}

impl<'a> Problem<'a> {
    fn new(case: &'a CaseModel, shift: Option<f64>) -> Problem<'a> {
        let alpha = case.interpretation.alpha();
        let global = match &case.noise {
            NoiseParams::Langevin(n) => Some((2.0 / n.d0, n.d0, 0.0)),
            NoiseParams::PowerLawLoss(n) if n.k > 0.0 => {
                Some(((2.0 + (1.0 - alpha) * n.k) / n.k, n.d0, n.k))
            }
            NoiseParams::PowerLawLoss(n) => Some((2.0 / n.d0, n.d0, 0.0)),
            _ => None,
        };
        Problem {
            potential: &case.potential,
            noise: &case.noise,
            exit: &case.exit,
            alpha,
            shift,
            global,
            loss_minimum: case.potential.loss_minimum(),
        }
    }

    fn loss(&self, x: [f64; 2]) -> f64 {
        self.potential.value_at(&x)
    }

    /// `(D_j, dD_j/dx_j)`.
    fn variance(&self, j: usize, x: [f64; 2]) -> (f64, f64) {
        self.noise
            .variance_at(j, &x, self.potential)
            .unwrap_or((f64::NAN, f64::NAN))
    }

    /// `psi` where it is a function of `L`.
    fn psi(&self, loss: f64) -> Option<f64> {
        let (c, d0, k) = self.global?;
        Some(match k > 0.0 {
            true => c * (d0 + k * (loss - self.loss_minimum)).ln(),
            false => c * loss,
        })
    }

    /// `dpsi/dx_j` at `x`.
    fn slope(&self, j: usize, x: [f64; 2]) -> f64 {
        let (d, dd) = self.variance(j, x);
        (2.0 * self.potential.gradient_at(&x, j) + (1.0 - self.alpha) * dd) / d
    }

    /// Whether `x` lies in the (shifted) exit set.
    fn exits(&self, x: [f64; 2]) -> bool {
        let Some(dt) = self.shift else {
            return self.exit.contains(&x);
        };
        let depth = self.exit.depth(&x);
        if depth.is_nan() || depth < 0.0 {
            return false;
        }
        // The normal by central differences of the depth.
        let mut n = [0.0; 2];
        for (j, nj) in n.iter_mut().enumerate() {
            let step = 1e-6 * (1.0 + x[j].abs());
            let mut up = x;
            let mut down = x;
            up[j] += step;
            down[j] -= step;
            *nj = (self.exit.depth(&up) - self.exit.depth(&down)) / (2.0 * step);
        }
        let norm2 = n[0] * n[0] + n[1] * n[1];
        let variance = (0..2)
            .map(|j| n[j] * n[j] * self.variance(j, x).0)
            .sum::<f64>()
            / norm2.max(f64::MIN_POSITIVE);
        depth >= crate::analysis::theory::BGK_SHIFT * (variance.max(0.0) * dt).sqrt()
    }

    /// The increment of `psi` from `a` to `b` along one axis.
    fn dpsi(&self, j: usize, a: [f64; 2], la: f64, b: [f64; 2], lb: f64) -> f64 {
        if let (Some(pa), Some(pb)) = (self.psi(la), self.psi(lb)) {
            return pb - pa;
        }
        let m = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        (b[j] - a[j]) * (self.slope(j, a) + 4.0 * self.slope(j, m) + self.slope(j, b)) / 6.0
    }
}

/// `B(z) = z / (e^z - 1)`, the Bernoulli function of the fluxes.
fn bernoulli(z: f64) -> f64 {
    if z.abs() < 1e-6 {
        1.0 - z / 2.0 + z * z / 12.0
    } else if z > 700.0 {
        z * (-z).exp()
    } else {
        z / z.exp_m1()
    }
}

/// A Cartesian grid of cell centres.
#[derive(Clone, Copy, Debug)]
struct Grid {
    origin: [f64; 2],
    h: f64,
    nx: usize,
    ny: usize,
}

impl Grid {
    fn covering(bounds: [[f64; 2]; 2], h: f64) -> Grid {
        let nx = (((bounds[0][1] - bounds[0][0]) / h).ceil() as usize).max(3);
        let ny = (((bounds[1][1] - bounds[1][0]) / h).ceil() as usize).max(3);
        Grid {
            origin: [bounds[0][0], bounds[1][0]],
            h,
            nx,
            ny,
        }
    }
    fn centre(&self, c: usize) -> [f64; 2] {
        [
            self.origin[0] + ((c % self.nx) as f64 + 0.5) * self.h,
            self.origin[1] + ((c / self.nx) as f64 + 0.5) * self.h,
        ]
    }
    fn cell_of(&self, x: [f64; 2]) -> Option<usize> {
        let i = ((x[0] - self.origin[0]) / self.h).floor();
        let j = ((x[1] - self.origin[1]) / self.h).floor();
        (i >= 0.0 && j >= 0.0 && (i as usize) < self.nx && (j as usize) < self.ny)
            .then(|| j as usize * self.nx + i as usize)
    }
    fn on_edge(&self, c: usize) -> bool {
        let (i, j) = (c % self.nx, c / self.nx);
        i == 0 || j == 0 || i + 1 == self.nx || j + 1 == self.ny
    }
    /// The four neighbours `(axis, cell)` of `c` inside the grid.
    fn neighbours(&self, c: usize) -> impl Iterator<Item = (usize, usize)> {
        let (i, j, nx) = (c % self.nx, c / self.nx, self.nx);
        [
            (i > 0).then(|| (0, c - 1)),
            (i + 1 < self.nx).then(|| (0, c + 1)),
            (j > 0).then(|| (1, c - nx)),
            (j + 1 < self.ny).then(|| (1, c + nx)),
        ]
        .into_iter()
        .flatten()
    }
}

/// `L` and the exit flag of every cell.
fn sample(problem: &Problem, grid: &Grid) -> (Vec<f64>, Vec<bool>) {
    (0..grid.nx * grid.ny)
        .into_par_iter()
        .map(|c| {
            let x = grid.centre(c);
            (problem.loss(x), problem.exits(x))
        })
        .unzip()
}

/// Cells connected to `start` through non-exit cells with `L < cut`
/// (`None`: the region reaches the grid's edge).
fn flood(grid: &Grid, loss: &[f64], exit: &[bool], start: usize, cut: f64) -> Option<Vec<usize>> {
    let mut seen = vec![false; loss.len()];
    let mut region = vec![start];
    seen[start] = true;
    let mut next = 0;
    while next < region.len() {
        let c = region[next];
        next += 1;
        if grid.on_edge(c) {
            return None;
        }
        for (_, d) in grid.neighbours(c) {
            if !seen[d] && !exit[d] && loss[d] < cut {
                seen[d] = true;
                region.push(d);
            }
        }
    }
    Some(region)
}

/// The cells that are neither exit cells nor undefined, by increasing `L`:
/// the order in which the watersheds of `L` flood the grid.
pub(crate) fn ascending(loss: &[f64], exit: &[bool]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..loss.len())
        .filter(|&c| !exit[c] && loss[c].is_finite())
        .collect();
    order.sort_by(|&a, &b| loss[a].total_cmp(&loss[b]));
    order
}

/// The union-find behind the watersheds of `L` (the solve's saddle level, the
/// landscape's saddles): cells are switched on in [`ascending`] order and
/// joined to their switched-on neighbours; the exit cells start on, in one
/// set whose root is the sink (index `n`), which stays a root.
pub(crate) struct Flooding {
    parent: Vec<usize>,
    on: Vec<bool>,
    /// The root of the exit cells' set.
    pub(crate) sink: usize,
}

impl Flooding {
    pub(crate) fn new(exit: &[bool]) -> Flooding {
        let n = exit.len();
        let mut parent: Vec<usize> = (0..=n).collect();
        for c in (0..n).filter(|&c| exit[c]) {
            parent[c] = n;
        }
        Flooding {
            parent,
            on: exit.to_vec(),
            sink: n,
        }
    }
    pub(crate) fn is_on(&self, c: usize) -> bool {
        self.on[c]
    }
    pub(crate) fn switch_on(&mut self, c: usize) {
        self.on[c] = true;
    }
    /// The root of `a`'s set.
    pub(crate) fn root(&mut self, mut a: usize) -> usize {
        while self.parent[a] != a {
            self.parent[a] = self.parent[self.parent[a]];
            a = self.parent[a];
        }
        a
    }
    /// Join the sets of `a` and `b` (the sink stays a root).
    pub(crate) fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            match b == self.sink {
                true => self.parent[a] = b,
                false => self.parent[b] = a,
            }
        }
    }
}

/// The lowest `L` at which `start` connects to an exit cell through
/// non-exit cells, and the cell that joins them (`None`: never, in this
/// grid). `order` is [`ascending`]'s.
fn saddle_level(
    grid: &Grid,
    loss: &[f64],
    exit: &[bool],
    order: &[usize],
    start: usize,
) -> Option<(f64, usize)> {
    let mut flooding = Flooding::new(exit);
    for &c in order {
        flooding.switch_on(c);
        for (_, d) in grid.neighbours(c) {
            if flooding.is_on(d) {
                flooding.join(c, d);
            }
        }
        if flooding.is_on(start) && flooding.root(start) == flooding.sink {
            return Some((loss[c], c));
        }
    }
    None
}

/// Where a solve's region lies: its box, saddle level and cell, cut and area.
struct Domain {
    bounds: [[f64; 2]; 2],
    level: f64,
    saddle: [f64; 2],
    cut: f64,
    area: f64,
}

/// The box, saddle level and cut of a case, from scans of growing boxes
/// around the start.
fn domain(problem: &Problem, start: [f64; 2], margin: f64) -> Result<Domain, NoAnswer> {
    if problem.exits(start) {
        return Err(NoAnswer(format!(
            "the start point {start:?} lies in the exit set: its mean first-passage time is 0"
        )));
    }
    let mut radius = 1.0_f64.max(0.5 * start[0].abs().max(start[1].abs()));
    for _ in 0..14 {
        let bounds = [
            [start[0] - radius, start[0] + radius],
            [start[1] - radius, start[1] + radius],
        ];
        let grid = Grid::covering(bounds, 2.0 * radius / SCAN as f64);
        let (loss, exit) = sample(problem, &grid);
        let s = grid.cell_of(start).expect("the start is the box's centre");
        if exit[s] {
            // The start is outside the exit set (checked above): the scan's
            // cells have grown coarser than the start's distance to it.
            break;
        }
        let order = ascending(&loss, &exit);
        let Some((level, joint)) = saddle_level(&grid, &loss, &exit, &order, s) else {
            radius *= 2.0;
            continue;
        };
        // The cut: integral of dL / eps(L) from the level reaches `margin`,
        // eps(L) the largest D_j / 2 of the cells below L.
        let mut eps = 0.0_f64;
        let mut cut = f64::INFINITY;
        let mut accumulated = 0.0;
        let mut previous = level;
        for &c in &order {
            let x = grid.centre(c);
            let d = (0..2)
                .map(|j| problem.variance(j, x).0)
                .fold(f64::NAN, f64::max);
            if loss[c] > level && eps > 0.0 {
                let step = (loss[c] - previous) / eps;
                if accumulated + step >= margin {
                    cut = previous + (margin - accumulated) * eps;
                    break;
                }
                accumulated += step;
                previous = loss[c];
            }
            if d.is_finite() {
                eps = eps.max(d / 2.0);
            }
        }
        // A noise without a variance law (the landscape's scan only): the
        // region up to the level plus the barrier again.
        if eps == 0.0 && cut.is_infinite() {
            cut = level + (level - loss[s]).abs().max(1e-9);
        }
        // An infinite cut: the exit set encloses the start's region.
        let Some(region) = flood(&grid, &loss, &exit, s, cut) else {
            radius *= 2.0;
            continue;
        };
        // The region's box, a few scan cells wider (the exit cells beside it included).
        let mut b = [[f64::INFINITY, f64::NEG_INFINITY]; 2];
        for &c in &region {
            let x = grid.centre(c);
            for j in 0..2 {
                b[j][0] = b[j][0].min(x[j] - 3.0 * grid.h);
                b[j][1] = b[j][1].max(x[j] + 3.0 * grid.h);
            }
        }
        let area = region.len() as f64 * grid.h * grid.h;
        return Ok(Domain {
            bounds: b,
            level,
            saddle: grid.centre(joint),
            cut,
            area,
        });
    }
    Err(NoAnswer(format!(
        "no bounded region around the start {start:?} reaches the exit set below L = level + {margin} temperatures \
         (searched a box of half-width {radius:.3e}): the exit is unreachable or the potential does not confine"
    )))
}

/// `L` and the exit set on a scan grid over the region a solve would cover:
/// what the landscape searches for saddles and draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Scan {
    /// Lower-left corner of the grid.
    pub origin: [f64; 2],
    /// Cell width.
    pub h: f64,
    /// Cells along x and y.
    pub shape: [usize; 2],
    /// Row-major by y: `L` at the cells' centres.
    pub loss: Vec<f64>,
    /// Row-major by y: whether the cell's centre is in the exit set.
    pub exit: Vec<bool>,
    /// The lowest `L` at which the start's region reaches the exit set.
    pub level: f64,
    /// Where faces would reflect.
    pub cut: f64,
}

impl Scan {
    /// The centre of cell `c`.
    pub fn centre(&self, c: usize) -> [f64; 2] {
        self.grid().centre(c)
    }
    /// The cell holding `x`, if the grid does.
    pub fn cell_of(&self, x: [f64; 2]) -> Option<usize> {
        self.grid().cell_of(x)
    }
    /// The (up to four) neighbours of cell `c`.
    pub fn neighbours(&self, c: usize) -> impl Iterator<Item = usize> {
        self.grid().neighbours(c).map(|(_, d)| d)
    }
    fn grid(&self) -> Grid {
        Grid {
            origin: self.origin,
            h: self.h,
            nx: self.shape[0],
            ny: self.shape[1],
        }
    }
}

/// The scan of a 2-D case with `cells` per axis over the box a solve with
/// `margin` would cover (any noise: without a variance law the box reaches
/// the level plus the barrier again).
pub fn scan(case: &CaseModel, margin: f64, cells: usize) -> Result<Scan, NoAnswer> {
    if case.start.len() != 2 || matches!(case.exit, ExitParams::None) {
        return Err(NoAnswer("the scan needs dim = 2 and an exit set".into()));
    }
    let problem = Problem::new(case, None);
    let start = [case.start[0], case.start[1]];
    let domain = domain(&problem, start, margin)?;
    let b = domain.bounds;
    let h = (b[0][1] - b[0][0]).max(b[1][1] - b[1][0]) / cells as f64;
    let grid = Grid::covering(b, h);
    let (loss, exit) = sample(&problem, &grid);
    Ok(Scan {
        origin: grid.origin,
        h,
        shape: [grid.nx, grid.ny],
        loss,
        exit,
        level: domain.level,
        cut: domain.cut,
    })
}

/// A nested-dissection ordering of the grid's cells (separators last).
fn dissection(x0: usize, x1: usize, y0: usize, y1: usize, nx: usize, out: &mut Vec<usize>) {
    let (w, h) = (x1 - x0, y1 - y0);
    if w == 0 || h == 0 {
        return;
    }
    if w * h <= 16 {
        for y in y0..y1 {
            out.extend((x0..x1).map(|x| y * nx + x));
        }
        return;
    }
    if w >= h {
        let s = x0 + w / 2;
        dissection(x0, s, y0, y1, nx, out);
        dissection(s + 1, x1, y0, y1, nx, out);
        out.extend((y0..y1).map(|y| y * nx + s));
    } else {
        let s = y0 + h / 2;
        dissection(x0, x1, y0, s, nx, out);
        dissection(x0, x1, s + 1, y1, nx, out);
        out.extend((x0..x1).map(|x| s * nx + x));
    }
}

/// One grid: assemble, factor, solve. Returns the run and `T` on the grid.
fn solve_grid(
    problem: &Problem,
    grid: Grid,
    start: [f64; 2],
    cut: f64,
) -> Result<(GridRun, Vec<f64>), NoAnswer> {
    let started = std::time::Instant::now();
    let (loss, exit) = sample(problem, &grid);
    let s = grid
        .cell_of(start)
        .ok_or_else(|| NoAnswer("the start left the grid".into()))?;
    let region = flood(&grid, &loss, &exit, s, cut).ok_or_else(|| {
        NoAnswer("the region below the cut reaches the edge of the solve's box".into())
    })?;
    let n = region.len();
    let mut index = vec![usize::MAX; loss.len()];
    for (k, &c) in region.iter().enumerate() {
        index[c] = k;
    }
    // Rates out of every active cell: (neighbour's unknown or exit, rate).
    let h = grid.h;
    let rows: Vec<Vec<(Option<usize>, f64)>> = region
        .par_iter()
        .map(|&c| {
            let x = grid.centre(c);
            let mut out = Vec::with_capacity(4);
            for (j, d) in grid.neighbours(c) {
                if index[d] != usize::MAX {
                    let y = grid.centre(d);
                    let m = [(x[0] + y[0]) / 2.0, (x[1] + y[1]) / 2.0];
                    let kappa = problem.variance(j, m).0 / 2.0;
                    let rate = kappa * bernoulli(problem.dpsi(j, x, loss[c], y, loss[d])) / (h * h);
                    out.push((Some(index[d]), rate));
                } else if exit[d] {
                    let y = grid.centre(d);
                    let (mut lo, mut hi) = (0.0, 1.0);
                    for _ in 0..48 {
                        let t = 0.5 * (lo + hi);
                        let p = [x[0] + t * (y[0] - x[0]), x[1] + t * (y[1] - x[1])];
                        match problem.exits(p) {
                            true => hi = t,
                            false => lo = t,
                        }
                    }
                    let theta = hi.max(1e-3);
                    let b = [x[0] + theta * (y[0] - x[0]), x[1] + theta * (y[1] - x[1])];
                    let m = [(x[0] + b[0]) / 2.0, (x[1] + b[1]) / 2.0];
                    let kappa = problem.variance(j, m).0 / 2.0;
                    let dpsi = problem.dpsi(j, x, loss[c], b, problem.loss(b));
                    out.push((None, kappa * bernoulli(dpsi) / (theta * h * h)));
                }
            }
            out
        })
        .collect();
    if let Some(bad) = rows
        .iter()
        .flatten()
        .find(|(_, r)| !(r.is_finite() && *r >= 0.0))
    {
        return Err(NoAnswer(format!(
            "a jump rate is {} on the grid of width {h:.3e}: the noise variance or the potential is not finite and positive there",
            bad.1
        )));
    }
    // CSC of A = -Q: column b holds -k_ab for each neighbour a, and the diagonal.
    let mut columns: Vec<Vec<(usize, f64)>> = vec![Vec::with_capacity(5); n];
    for (a, row) in rows.iter().enumerate() {
        let mut diagonal = 0.0;
        for &(b, rate) in row {
            diagonal += rate;
            if let Some(b) = b {
                columns[b].push((a, -rate));
            }
        }
        columns[a].push((a, diagonal));
    }
    let mut p = Vec::with_capacity(n + 1);
    p.push(0isize);
    let (mut ri, mut xv) = (Vec::new(), Vec::new());
    for column in &mut columns {
        column.sort_by_key(|e| e.0);
        for &(r, v) in column.iter() {
            ri.push(r);
            xv.push(v);
        }
        p.push(ri.len() as isize);
    }
    let matrix_nonzeros = ri.len();
    let a = rsparse::data::Sprs {
        nzmax: ri.len(),
        m: n,
        n,
        p,
        i: ri,
        x: xv,
    };
    let mut order = Vec::with_capacity(grid.nx * grid.ny);
    dissection(0, grid.nx, 0, grid.ny, grid.nx, &mut order);
    let mut symbolic = rsparse::sqr(&a, 0, false);
    symbolic.q = Some(
        order
            .into_iter()
            .filter(|&c| index[c] != usize::MAX)
            .map(|c| index[c] as isize)
            .collect(),
    );
    let factors = rsparse::lu(&a, &mut symbolic, 0.1).map_err(|e| {
        NoAnswer(format!(
            "the sparse LU failed ({e:?}) on the grid of width {h:.3e}"
        ))
    })?;
    // The right-hand side is all ones, so its row permutation is too.
    let q = symbolic.q.as_ref().expect("set above");
    let mut w = vec![1.0; n];
    rsparse::lsolve(&factors.l, &mut w);
    rsparse::usolve(&factors.u, &mut w);
    let mut t = vec![0.0; n];
    for k in 0..n {
        t[q[k] as usize] = w[k];
    }
    let mut field: Vec<f64> = (0..loss.len())
        .map(|c| match (index[c], exit[c]) {
            (k, _) if k != usize::MAX => t[k],
            (_, true) => 0.0,
            _ => f64::NAN,
        })
        .collect();
    let mfpt = interpolate(&grid, &field, start);
    if !(mfpt.is_finite() && mfpt > 0.0) {
        return Err(NoAnswer(format!("the solve gave T = {mfpt} at the start")));
    }
    let factor_nonzeros = factors.l.p[n] as usize + factors.u.p[n] as usize;
    let run = GridRun {
        h,
        cells: n,
        mfpt,
        factor_nonzeros: factor_nonzeros + matrix_nonzeros,
        seconds: started.elapsed().as_secs_f64(),
    };
    field.shrink_to_fit();
    Ok((run, field))
}

/// `T` at `x`, bilinear between the four nearest cell centres (those
/// without a value replaced by the start's cell).
fn interpolate(grid: &Grid, field: &[f64], x: [f64; 2]) -> f64 {
    let fx = (x[0] - grid.origin[0]) / grid.h - 0.5;
    let fy = (x[1] - grid.origin[1]) / grid.h - 0.5;
    let (i, j) = (fx.floor().max(0.0) as usize, fy.floor().max(0.0) as usize);
    let (u, v) = (
        (fx - i as f64).clamp(0.0, 1.0),
        (fy - j as f64).clamp(0.0, 1.0),
    );
    let own = grid.cell_of(x).map_or(f64::NAN, |c| field[c]);
    let at = |i: usize, j: usize| {
        let c = j.min(grid.ny - 1) * grid.nx + i.min(grid.nx - 1);
        match field[c] {
            v if v.is_nan() => own,
            v => v,
        }
    };
    (1.0 - u) * (1.0 - v) * at(i, j)
        + u * (1.0 - v) * at(i + 1, j)
        + (1.0 - u) * v * at(i, j + 1)
        + u * v * at(i + 1, j + 1)
}

/// The exact mean first-passage time of a 2-D case from its start
/// (`shift = Some(dt)`: the exit set moved inward for once-per-step
/// monitoring at step `dt`). `Err` says why there is no answer.
pub fn solve(
    case: &CaseModel,
    shift: Option<f64>,
    options: PlaneOptions,
) -> Result<PlaneReference, NoAnswer> {
    if !applies(case) {
        return Err(NoAnswer(
            "the exact plane solve needs dim = 2, a noise with a variance law (not alpha-stable or sgd) and an exit set".into(),
        ));
    }
    let started = std::time::Instant::now();
    let problem = Problem::new(case, shift);
    let start = [case.start[0], case.start[1]];
    let Domain {
        bounds,
        level,
        saddle,
        cut,
        area,
    } = domain(&problem, start, options.margin)?;
    let finest = (area / options.cells as f64).sqrt();
    let widths = [2.0 * finest, std::f64::consts::SQRT_2 * finest, finest];
    type Solved = Result<(GridRun, Vec<f64>, Grid), NoAnswer>;
    let solved: Vec<Solved> = widths
        .par_iter()
        .map(|&h| {
            let grid = Grid::covering(bounds, h);
            solve_grid(&problem, grid, start, cut).map(|(run, field)| (run, field, grid))
        })
        .collect();
    let mut grids = Vec::new();
    let mut last = None;
    for r in solved {
        let (run, field, grid) = r?;
        grids.push(run);
        last = Some((field, grid));
    }
    let t: Vec<f64> = grids.iter().map(|g| g.mfpt).collect();
    let richardson = |fine: f64, coarse: f64| 2.0 * fine - coarse;
    let mfpt = richardson(t[2], t[1]);
    let previous = richardson(t[1], t[0]);
    let error = (mfpt - previous).abs().max((mfpt - t[2]).abs());
    let memory_mib = grids
        .iter()
        .map(|g| (g.factor_nonzeros * 16 + g.cells * 64) as f64)
        .sum::<f64>()
        / (1024.0 * 1024.0);
    let (values, grid) = last.expect("three grids");
    Ok(PlaneReference {
        mfpt,
        error,
        grids,
        level,
        saddle,
        cut,
        margin: options.margin,
        bounds,
        shifted: shift.is_some(),
        memory_mib,
        seconds: started.elapsed().as_secs_f64(),
        field: Some(Field {
            origin: grid.origin,
            h: grid.h,
            shape: [grid.nx, grid.ny],
            values,
            start,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::model1d::one_dimensional;
    use crate::analysis::theory;
    use crate::dynamics::Interpretation;
    use crate::model::exit::{Ball, HalfSpace};
    use crate::model::noise::{Langevin, PowerLaw};
    use crate::model::potential::{DoubleWell, Quadratic};

    fn case(
        potential: PotentialParams,
        noise: NoiseParams,
        exit: ExitParams,
        start: [f64; 2],
    ) -> CaseModel {
        CaseModel {
            dt: 0.01,
            interpretation: Interpretation::Ito,
            potential,
            noise,
            start: start.to_vec(),
            exit,
            bridge: true,
            friction: 0.0,
            start_velocity: None,
        }
    }

    /// The radial quadrature (docs/theory.md §9) of the isotropic quadratic
    /// leaving a ball around its minimum: the ball's boundary cuts the grid's
    /// faces everywhere, so this checks the cut faces, at the radius and at
    /// the radius shifted for once-per-step monitoring.
    #[test]
    fn the_ball_of_the_isotropic_quadratic_meets_the_radial_quadrature() {
        let c = case(
            Quadratic {
                curvature: 1.0,
                center: 0.0,
            }
            .into(),
            Langevin { d0: 1.0 }.into(),
            ExitParams::Ball(Ball {
                center: vec![0.0, 0.0],
                radius: 1.5,
            }),
            [0.3, -0.2],
        );
        let r0 = (0.3f64 * 0.3 + 0.2 * 0.2).sqrt();
        let exact = theory::radial_quadratic_mfpt(2, 1.0, 1.0, r0, 1.5).unwrap();
        let plane = solve(&c, None, PlaneOptions::default()).unwrap();
        let relative = (plane.mfpt - exact).abs() / exact;
        eprintln!(
            "ball: plane {plane:?} exact {exact} relative {relative:.2e}",
            plane = (
                plane.mfpt,
                plane.error,
                plane
                    .grids
                    .iter()
                    .map(|g| (g.cells, g.mfpt, g.seconds))
                    .collect::<Vec<_>>()
            )
        );
        assert!(
            relative < 1e-4,
            "plane {} exact {exact} ({relative:.1e})",
            plane.mfpt
        );
        assert!(
            (plane.mfpt - exact).abs() <= plane.error,
            "the error estimate {} covers the error",
            plane.error
        );
        assert!(plane.error / exact < 2e-3, "error estimate {}", plane.error);
        let shifted = theory::radial_quadratic_mfpt_shifted(2, 1.0, 1.0, r0, 1.5, 0.01).unwrap();
        let plane = solve(&c, Some(0.01), PlaneOptions::default()).unwrap();
        let relative = (plane.mfpt - shifted).abs() / shifted;
        eprintln!(
            "ball shifted: plane {} exact {shifted} relative {relative:.2e}",
            plane.mfpt
        );
        assert!(
            relative < 1e-4,
            "shifted plane {} exact {shifted} ({relative:.1e})",
            plane.mfpt
        );
    }

    /// A separable double well leaving through `x_1 >= 0.4`: the 1-D exact
    /// time of that coordinate, with Langevin noise (the potential form of
    /// the fluxes) and with Stratonovich power-law noise (Simpson's rule of
    /// the fluxes' exponent, the path of non-reversible cases).
    #[test]
    fn a_separable_double_well_meets_the_one_dimensional_quadrature() {
        let noises: [(NoiseParams, Interpretation); 2] = [
            (Langevin { d0: 0.5 }.into(), Interpretation::Ito),
            (
                PowerLaw::new(0.4, 0.0, 0.3, -1.0).unwrap().into(),
                Interpretation::Stratonovich,
            ),
        ];
        for (noise, interpretation) in noises {
            let mut c = case(
                DoubleWell {
                    height: 1.0,
                    half_width: 1.0,
                }
                .into(),
                noise,
                ExitParams::HalfSpace(HalfSpace {
                    normal: vec![1.0, 0.0],
                    threshold: 0.4,
                }),
                [-1.0, -1.0],
            );
            c.interpretation = interpretation;
            let (model, start, level) = one_dimensional(&c).unwrap();
            let exact = theory::exact_mfpt(&model, start, level).unwrap();
            let plane = solve(&c, None, PlaneOptions::default()).unwrap();
            let relative = (plane.mfpt - exact).abs() / exact;
            eprintln!(
                "separable: plane {} ± {} exact {exact} relative {relative:.2e} grids {:?}",
                plane.mfpt,
                plane.error,
                plane
                    .grids
                    .iter()
                    .map(|g| (g.cells, g.mfpt))
                    .collect::<Vec<_>>()
            );
            assert!(
                (plane.mfpt - exact).abs() <= plane.error,
                "the error estimate {} covers the error",
                plane.error
            );
            assert!(
                relative < 2e-5,
                "{:?}: plane {} exact {exact} ({relative:.1e})",
                c.noise,
                plane.mfpt
            );
        }
    }

    #[test]
    fn bernoulli_is_smooth_through_zero_and_stable_far_out() {
        for z in [-1e-3f64, -1e-7, 1e-7, 1e-3] {
            let exact = z / z.exp_m1();
            assert!((bernoulli(z) - exact).abs() < 1e-12, "{z}");
        }
        assert!((bernoulli(800.0) - 800.0 * (-800.0f64).exp()).abs() < 1e-300);
        assert!((bernoulli(-30.0) - 30.0 / (1.0 - (-30.0f64).exp())).abs() < 1e-12);
        // B(-z) = B(z) e^z: detailed balance of the jump rates.
        for z in [0.1, 2.0, 9.0] {
            assert!((bernoulli(-z) - bernoulli(z) * f64::exp(z)).abs() < 1e-12 * bernoulli(-z));
        }
    }

    #[test]
    fn dissection_orders_every_cell_once() {
        let (nx, ny) = (37, 23);
        let mut out = Vec::new();
        dissection(0, nx, 0, ny, nx, &mut out);
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, (0..nx * ny).collect::<Vec<_>>());
    }
}
