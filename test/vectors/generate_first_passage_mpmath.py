"""Golden vectors for src/analytics (normal CDF and first-passage probabilities).

Run: python3 test/vectors/generate_first_passage_mpmath.py > test/vectors/first_passage_mpmath.json

Every value is computed with mpmath at 50 significant digits, independently of the TypeScript:
- normal CDF: mpmath.ncdf;
- first passage: by numerical integration (mpmath.quad) of the first-passage-time density of a
  Brownian motion with drift m towards a barrier at distance a > 0 and volatility s (the inverse
  Gaussian density)  f(t) = a / (s sqrt(2 pi t^3)) exp(-(a - m t)^2 / (2 s^2 t)),  over [0, T]
  (substituting w = 1/t);
  this does not use the reflection formula the code implements. The closed form is also
  evaluated in mpmath and the script asserts the two agree to a relative 1e-25.
"""
import json
import mpmath as mp

mp.mp.dps = 50


def closed_form(a, m, s, T):
    sd = s * mp.sqrt(T)
    return mp.ncdf((-a + m * T) / sd) + mp.exp(2 * m * a / s**2) * mp.ncdf((-a - m * T) / sd)


def by_density(a, m, s, T):
    # Integrate in w = 1/t (dt = -dw/w^2), which turns the density into the smooth, decaying
    # g(w) = a / (s sqrt(2 pi w)) exp(-(a - m/w)^2 w / (2 s^2)) on [1/T, inf). mp.quad's
    # tolerance is absolute, so the integrand is scaled by exp(E(1/T)) (E = the exponent) to be
    # O(1) at the lower end, and the result scaled back.
    w0 = 1 / T
    expo = lambda w: -((a - m / w) ** 2) * w / (2 * s**2)
    e0 = expo(w0)
    g = lambda w: a / (s * mp.sqrt(2 * mp.pi * w)) * mp.exp(expo(w) - e0)
    # break points on both scales of g: multiples of 1/T, and steps of the decay length 2 s^2/a^2
    decay = 2 * s**2 / a**2
    pts = sorted({w0 * 2**k for k in range(0, 40)} | {w0 + decay * mp.mpf(2) ** j for j in range(-6, 40)})
    return mp.quad(g, [w0] + pts[1:] + [mp.inf]) * mp.exp(e0)


normal_points = [-38, -37.5, -30, -20, -12, -10, -8, -6, -5.657, -5, -3, -2, -1.959963984540054, -1, -0.674, -0.5,
                 -1e-10, 0, 1e-10, 0.5, 0.674, 0.675, 1, 2, 3, 5, 5.66, 8]
normal = [{"x": x, "cdf": mp.nstr(mp.ncdf(mp.mpf(x)), 25), "logCdf": mp.nstr(mp.log(mp.ncdf(mp.mpf(x))), 25)}
          for x in normal_points]

# (name, a = |ln(L/S)|, m = drift towards barrier per year, sigma per sqrt(year), T years)
cases = [
    ("driftless_10pct_quarter", 0.1053605156578263, 0.0, 0.5, 0.25),
    ("martingale_long_10pct_1d_60vol", 0.1053605156578263, 0.18, 0.6, 1 / 365),
    ("martingale_long_10pct_7d_60vol", 0.1053605156578263, 0.18, 0.6, 7 / 365),
    ("martingale_short_10pct_7d_60vol", 0.09531017980432493, -0.18, 0.6, 7 / 365),
    ("drift_towards_1y", 0.2, 0.3, 0.4, 1.0),
    ("drift_away_1y", 0.2, -0.3, 0.4, 1.0),
    ("strong_drift_towards_far_barrier", 1.5, 2.0, 0.3, 1.0),
    ("strong_drift_away", 0.05, -3.0, 0.2, 2.0),
    ("tiny_probability", 0.5, -0.05, 0.5, 1 / 365),
    ("near_barrier_1h", 0.002, -0.32, 0.8, 1 / 8760),
    ("high_vol_long_horizon", 0.7, -1.125, 1.5, 3.0),
]
fp = []
for name, a, m, s, T in cases:
    a_, m_, s_, T_ = (mp.mpf(v) for v in (a, m, s, T))
    cf = closed_form(a_, m_, s_, T_)
    dens = by_density(a_, m_, s_, T_)
    assert abs(cf - dens) <= mp.mpf("1e-25") * abs(cf), (name, cf, dens)
    fp.append({"name": name, "distance": a, "driftTowards": m, "sigma": s, "horizon": T,
               "probability": mp.nstr(dens, 25)})

print(json.dumps({
    "source": "mpmath " + mp.__version__ + " at 50 digits: ncdf, and quad of the inverse-Gaussian first-passage density "
              "(generate_first_passage_mpmath.py in this directory)",
    "normal": normal,
    "firstPassage": fp,
}, indent=2))
