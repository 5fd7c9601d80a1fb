/* Helpers shared by the bump-hunt tests: the dijet function evaluated directly, reference bin
 * integrals by a fine composite Simpson rule in x (independent of the library's Gauss-Legendre
 * rule in ln x), and Poisson draws from the project's counter-based RNG. */
#ifndef HADAL_TEST_BUMPHUNT_TOYS_H
#define HADAL_TEST_BUMPHUNT_TOYS_H

#include <math.h>
#include <hadal/rng.h>

/* f(x) = p0 (1 - x)^p1 / x^(p2 + p3 ln x) */
static inline double toy_dijet(const double p[4], double x)
{
  return p[0] * pow(1 - x, p[1]) / pow(x, p[2] + p[3] * log(x));
}

/* The integral of f over [m_a, m_b) GeV in x = m / sqrt_s: Simpson with `steps` (even) intervals. */
static inline double toy_bin_integral(const double p[4], double m_a, double m_b, double sqrt_s, int steps)
{
  double a = m_a / sqrt_s, b = m_b / sqrt_s, h = (b - a) / steps, s = toy_dijet(p, a) + toy_dijet(p, b);

  for (int k = 1; k < steps; k++) s += (k % 2 ? 4 : 2) * toy_dijet(p, a + k * h);
  return s * h / 3;
}

/* Poisson(mu): multiplication of uniforms below mu = 10, transformed rejection with squeeze
 * (Hoermann, "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993) 39, algorithm PTRS) above. */
static inline double toy_poisson(hd_rng *r, double mu)
{
  if (mu <= 0) return 0;
  if (mu < 10) {
    double limit = exp(-mu), prod = hd_rng_uniform(r);
    int    k     = 0;

    while (prod > limit) {
      prod *= hd_rng_uniform(r);
      k++;
    }
    return k;
  }
  {
    double sl = sqrt(mu), ll = log(mu), b = 0.931 + 2.53 * sl, a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), v_r = 0.9277 - 3.6224 / (b - 2);

    for (;;) {
      double u = hd_rng_uniform(r) - 0.5, v = hd_rng_uniform(r), us = 0.5 - fabs(u);
      double k = floor((2 * a / us + b) * u + mu + 0.43);

      if (us >= 0.07 && v <= v_r) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -mu + k * ll - lgamma(k + 1)) return k;
    }
  }
}

#endif
