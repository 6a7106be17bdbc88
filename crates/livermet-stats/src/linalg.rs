//! Small dense symmetric positive-definite algebra for the logistic fits (a handful of columns):
//! the Cholesky factorisation A = L L^T (Golub & Van Loan, *Matrix Computations*, Alg. 4.2.1),
//! triangular solves and the inverse. Matrices are row-major `k x k` slices.

/// The lower-triangular Cholesky factor `L` of a symmetric positive-definite matrix `A = L L^T`.
#[derive(Debug, Clone)]
pub struct Cholesky {
    k: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Factor the row-major `k x k` symmetric matrix `a`.
    ///
    /// Column `j`'s pivot is `d_j = a_jj - sum_{m<j} l_jm^2`, the part of column `j` not explained
    /// by the columns before it. When `d_j <= rel_tol * a_jj` (or `a_jj <= 0`) column `j` is
    /// numerically a linear combination of columns `0..j`, and `Err(j)` names it.
    pub fn factor(a: &[f64], k: usize, rel_tol: f64) -> Result<Self, usize> {
        debug_assert_eq!(a.len(), k * k);
        let mut l = vec![0.0; k * k];
        for j in 0..k {
            let ajj = a[j * k + j];
            let d = ajj - (0..j).map(|m| l[j * k + m] * l[j * k + m]).sum::<f64>();
            // Written so that NaN also fails.
            let positive = ajj > 0.0 && d > rel_tol * ajj;
            if !positive {
                return Err(j);
            }
            let ljj = d.sqrt();
            l[j * k + j] = ljj;
            for i in (j + 1)..k {
                let s = a[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
                l[i * k + j] = s / ljj;
            }
        }
        Ok(Self { k, l })
    }

    /// Solve `A x = b` by forward (`L z = b`) then backward (`L^T x = z`) substitution.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let k = self.k;
        let l = &self.l;
        let mut z = b.to_vec();
        for i in 0..k {
            let s = z[i] - (0..i).map(|m| l[i * k + m] * z[m]).sum::<f64>();
            z[i] = s / l[i * k + i];
        }
        for i in (0..k).rev() {
            let s = z[i] - ((i + 1)..k).map(|m| l[m * k + i] * z[m]).sum::<f64>();
            z[i] = s / l[i * k + i];
        }
        z
    }

    /// `A^{-1}` (row-major), column by column: `A^{-1} e_j`.
    pub fn inverse(&self) -> Vec<f64> {
        let k = self.k;
        let mut inv = vec![0.0; k * k];
        let mut e = vec![0.0; k];
        for j in 0..k {
            e.iter_mut().for_each(|v| *v = 0.0);
            e[j] = 1.0;
            let col = self.solve(&e);
            for i in 0..k {
                inv[i * k + j] = col[i];
            }
        }
        // Symmetrise: the two triangles differ only by rounding.
        for i in 0..k {
            for j in (i + 1)..k {
                let m = 0.5 * (inv[i * k + j] + inv[j * k + i]);
                inv[i * k + j] = m;
                inv[j * k + i] = m;
            }
        }
        inv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_known_matrix() {
        // A = [[4, 2], [2, 3]]: det 8, inverse [[3, -2], [-2, 4]] / 8.
        let a = [4.0, 2.0, 2.0, 3.0];
        let c = Cholesky::factor(&a, 2, 1e-12).unwrap();
        let x = c.solve(&[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
        let inv = c.inverse();
        let want = [3.0 / 8.0, -2.0 / 8.0, -2.0 / 8.0, 4.0 / 8.0];
        for (g, w) in inv.iter().zip(want) {
            assert!((g - w).abs() < 1e-15);
        }
    }

    #[test]
    fn names_the_dependent_column() {
        // Column 2 = column 0 + column 1.
        let a = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0];
        assert_eq!(Cholesky::factor(&a, 3, 1e-10).unwrap_err(), 2);
    }
}
