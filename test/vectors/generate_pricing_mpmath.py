#!/usr/bin/env python3
"""Regenerate test/vectors/pricing_mpmath.json: high-precision references for
src/core/pricing (normal pdf/cdf/inverse, Black-76 prices far out of the money).

Developer-time only (mpmath is not a project dependency):
    python3 test/vectors/generate_pricing_mpmath.py > test/vectors/pricing_mpmath.json
Inputs are float64 values; mpmath evaluates at 60 significant digits and the
result is printed with 17 significant digits (round-trips to the nearest double).
"""
import json
import mpmath as mp

mp.mp.dps = 60

def f17(x):
    return float(mp.nstr(x, 17, min_fixed=-1, max_fixed=-1)) if x != 0 else 0.0

def s17(x):
    return mp.nstr(x, 17, strip_zeros=False)

def cdf(z):
    return mp.ncdf(mp.mpf(z))

zs = [-38.4, -38.0, -37.6, -37.5, -30.0, -26.7, -20.0, -12.5, -10.0, -9.5, -8.0, -6.0, -5.656854248,
      -5.5, -4.0, -3.1, -2.0, -1.0, -0.66291, -0.5, -0.1, -1e-10, 0.0, 1e-10, 0.1, 0.5, 0.66291, 1.0,
      2.0, 3.1, 4.0, 5.5, 6.0, 8.0, 8.5]
normal = []
for z in zs:
    zf = float(z)
    normal.append({"z": zf, "cdf": s17(cdf(zf)), "pdf": s17(mp.npdf(mp.mpf(zf)))})

erfs = []
for y in [-26.0, -5.0, -1.0, -0.46875, -0.2, 0.0, 0.2, 0.46875, 1.0, 3.0, 4.0, 4.5, 10.0, 26.0, 30.0, 1e4]:
    yf = float(y)
    m = mp.mpf(yf)
    erfs.append({"x": yf, "erf": s17(mp.erf(m)), "erfc": s17(mp.erfc(m)), "erfcx": s17(mp.exp(m * m) * mp.erfc(m))})

ps = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.02425, 0.1, 0.3, 0.5,
      0.7, 0.9, 0.975, 0.99, 0.999, 1 - 1e-10]
inverse = []
for p in ps:
    pf = float(p)
    # exact quantile of the double pf
    # solve ln Φ(x) = ln p (well conditioned in the tail), starting near the asymptote
    x0 = -mp.sqrt(2 * mp.log(1 / mp.mpf(pf))) if pf < 0.5 else mp.sqrt(2) * mp.erfinv(2 * mp.mpf(pf) - 1)
    q = mp.findroot(lambda x: mp.log(mp.ncdf(x)) - mp.log(mp.mpf(pf)), x0)
    inverse.append({"p": pf, "x": s17(q)})

def black(F, K, sigma, T, kind):
    F, K, sigma, T = mp.mpf(F), mp.mpf(K), mp.mpf(sigma), mp.mpf(T)
    s = sigma * mp.sqrt(T)
    d1 = mp.log(F / K) / s + s / 2
    d2 = d1 - s
    if kind == "call":
        return F * mp.ncdf(d1) - K * mp.ncdf(d2)
    return K * mp.ncdf(-d2) - F * mp.ncdf(-d1)

black_cases = []
grid = [
    (100, 100, 0.2, 0.5), (100, 150, 0.2, 0.5), (100, 300, 0.2, 0.5), (100, 1000, 0.3, 0.5),
    (100, 60, 0.2, 0.5), (100, 20, 0.3, 1.0), (121718.4, 80000, 0.688, 0.0581), (121718.4, 200000, 0.688, 0.0581),
    (121718.4, 30000, 0.688, 0.0581), (100, 100, 0.01, 1 / 365), (100, 100.5, 0.01, 1 / 365),
    (100, 100, 10.0, 1.0), (100, 50, 10.0, 2.0), (100, 5000, 3.0, 1.0), (1e-8, 1e-8, 2.0, 0.01),
    (1e8, 1e8, 0.01, 30.0), (100, 1e-6, 0.5, 1.0), (100, 250, 0.05, 0.1),
]
for F, K, sig, T in grid:
    for kind in ("call", "put"):
        black_cases.append({"forward": F, "strike": K, "vol": sig, "timeYears": T, "kind": kind,
                            "undiscountedPrice": s17(black(F, K, sig, T, kind))})

print(json.dumps({
    "source": {
        "tool": "mpmath " + mp.__version__ + " at 60 significant digits",
        "script": "test/vectors/generate_pricing_mpmath.py",
    },
    "description": "Independent high-precision references for src/core/pricing: standard normal cdf/pdf at float64 z, erf/erfc/erfcx, the exact quantile of float64 p, and undiscounted Black-76 prices (F·N(d1) − K·N(d2)) including far out-of-the-money options whose values are tiny. Values are decimal strings with 17 significant digits.",
    "normal": normal,
    "inverse": inverse,
    "erf": erfs,
    "black76": black_cases,
}, indent=1))
