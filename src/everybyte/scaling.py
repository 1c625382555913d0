"""Scaling of performance with parameter count (chapter 9).

The article: "performance ∝ N^α with α ≈ 0.07, so a 10 % gain needs
10^(1/α) ≈ 3.7 times the parameters".  Both halves of the last sentence are
wrong: a gain by the factor ``gain`` needs ``gain^(1/α)`` times the
parameters, which for 10 % and α = 0.07 is about 3.9, while ``10^(1/α)``
is about 1.9e14.

Kaplan et al. 2020 (eq. 1.1) state the law for the loss instead:
``L(N) = (N_c / N)^α_N`` with ``α_N = 0.076`` and ``N_c = 8.8e13``
non-embedding parameters.
"""

from __future__ import annotations

import sympy as sp

from . import validation as check
from .symbols import N, alpha, gain

#: The article's exponent, α ≈ 0.07.
ARTICLE_ALPHA = sp.Rational(7, 100)
#: Kaplan et al. 2020, eq. (1.1): exponent of loss in non-embedding parameters.
KAPLAN_ALPHA_N = sp.Rational(76, 1000)
#: Kaplan et al. 2020, eq. (1.1): the constant N_c (non-embedding parameters).
KAPLAN_N_C = sp.Integer(88) * 10**12

#: Performance as a power of N (the article's form, up to a constant).
performance = N**alpha
#: Parameter multiplier that raises ``performance`` by the factor ``gain``.
parameter_multiplier = gain ** (1 / alpha)
#: The article's (wrong) multiplier, ``10^(1/α)``.
ARTICLE_PARAMETER_MULTIPLIER = sp.Integer(10) ** (1 / alpha)
#: Kaplan's loss law ``L(N) = (N_c/N)^α_N``.
kaplan_loss = (KAPLAN_N_C / N) ** KAPLAN_ALPHA_N


def multiplier_for_gain(gain_factor: float = 1.1, exponent: float | sp.Rational = ARTICLE_ALPHA) -> float:
    """How many times more parameters raise ``N^exponent`` by ``gain_factor`` (chapter 9)."""
    check.positive_real("gain_factor", gain_factor)
    check.positive_real("exponent", exponent)
    if gain_factor <= 1:
        raise ValueError(f"gain_factor must be greater than 1 (1.1 means 10 % better), got {gain_factor!r}")
    return float(parameter_multiplier.subs({gain: sp.nsimplify(gain_factor), alpha: sp.nsimplify(exponent)}).evalf(30))


def multiplier_for_loss_reduction(reduction: float = 0.1, exponent: float | sp.Rational = KAPLAN_ALPHA_N) -> float:
    """How many times more parameters cut Kaplan's loss by the fraction ``reduction``."""
    check.fraction_in_unit_interval("reduction", reduction, allow_zero=False)
    return multiplier_for_gain(1 / (1 - reduction), exponent)
